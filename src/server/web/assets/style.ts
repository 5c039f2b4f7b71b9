/**
 * The stylesheet, served as /static/gate.css (CSP allows no inline style). Colours live in one
 * palette, and every foreground/background pair the sheet uses is listed in CONTRAST_PAIRS, which
 * a test holds to WCAG AA (4.5:1 for text, 3:1 for borders and focus rings).
 */
export const PALETTE = {
  text: '#1b1f24',
  bg: '#ffffff',
  surface: '#f3f5f7',
  muted: '#4d5661',
  accent: '#0b57d0',
  onColor: '#ffffff',
  approve: '#146c2e',
  deny: '#b3261e',
  border: '#6b7480',
  okText: '#0f5223',
  okBg: '#e7f4ea',
  errText: '#8c1d18',
  errBg: '#fdecea',
  warnText: '#6b4100',
  warnBg: '#fff3dc',
} as const;

type Colour = keyof typeof PALETTE;

/** [foreground, background, minimum ratio] for every pairing below. */
export const CONTRAST_PAIRS: readonly (readonly [Colour, Colour, number])[] = [
  ['text', 'bg', 4.5],
  ['text', 'surface', 4.5],
  ['muted', 'bg', 4.5],
  ['muted', 'surface', 4.5],
  ['accent', 'bg', 4.5],
  ['accent', 'surface', 4.5],
  ['onColor', 'accent', 4.5],
  ['onColor', 'approve', 4.5],
  ['onColor', 'deny', 4.5],
  ['okText', 'okBg', 4.5],
  ['errText', 'errBg', 4.5],
  ['warnText', 'warnBg', 4.5],
  ['border', 'bg', 3],
  ['border', 'surface', 3],
  ['accent', 'okBg', 3],
  ['accent', 'errBg', 3],
  ['accent', 'warnBg', 3],
];

const c = PALETTE;

export const STYLE_CSS = `:root { color-scheme: light; }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: ${c.text}; background: ${c.bg}; }
a { color: ${c.accent}; }
:focus-visible { outline: 3px solid ${c.accent}; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 8px; background: ${c.bg}; padding: 8px 12px; z-index: 10; }
.skip:focus { left: 8px; }
header.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; justify-content: space-between; padding: 8px 16px; background: ${c.surface}; border-bottom: 1px solid ${c.border}; }
.brand { font-weight: 700; font-size: 1.25rem; color: ${c.text}; text-decoration: none; }
.account { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; }
.account form { margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 16px; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; line-height: 1.25; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin-top: 1.75rem; }
h3 { font-size: 1.05rem; }
.id { display: block; font: 1rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: ${c.muted}; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { overflow-wrap: anywhere; }
pre.command { white-space: pre-wrap; overflow-wrap: anywhere; margin: 8px 0; padding: 12px; background: ${c.surface}; border: 1px solid ${c.border}; border-radius: 4px; }
ol.argv code { background: ${c.surface}; padding: 0 4px; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; }
dl.facts dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 480px) { dl.facts { grid-template-columns: minmax(0, 1fr); } dl.facts dd { margin-bottom: 8px; } }
.text, blockquote.text { white-space: pre-wrap; overflow-wrap: anywhere; }
blockquote { margin: 4px 0 8px; padding-left: 12px; border-left: 3px solid ${c.border}; }
.muted, .meta { color: ${c.muted}; }
ul.plain { list-style: none; padding: 0; }
ul.plain > li { margin: 8px 0; }
ul.cards { list-style: none; padding: 0; display: grid; gap: 12px; }
.card { border: 1px solid ${c.border}; border-radius: 6px; padding: 12px; }
.card .command { display: block; font-weight: 600; overflow-wrap: anywhere; }
.card p { margin: 4px 0 0; }
.tag { font-size: 0.85rem; border: 1px solid ${c.border}; border-radius: 999px; padding: 0 8px; }
.notice { padding: 12px; border-radius: 4px; border: 1px solid ${c.border}; background: ${c.surface}; color: ${c.text}; }
.notice.ok { border-color: ${c.approve}; background: ${c.okBg}; color: ${c.okText}; }
.notice.error { border-color: ${c.deny}; background: ${c.errBg}; color: ${c.errText}; }
.notice.warn { border-color: ${c.warnText}; background: ${c.warnBg}; color: ${c.warnText}; }
form.stack { display: flex; flex-direction: column; gap: 6px; margin: 16px 0; max-width: 40rem; }
label { font-weight: 600; }
input[type=text], input[type=password], textarea { font: inherit; width: 100%; padding: 10px; color: ${c.text}; background: ${c.bg}; border: 1px solid ${c.border}; border-radius: 4px; }
button { font: inherit; font-weight: 600; min-height: 44px; padding: 10px 20px; border-radius: 4px; border: 2px solid transparent; cursor: pointer; align-self: flex-start; }
button.primary { background: ${c.accent}; color: ${c.onColor}; }
button.approve { background: ${c.approve}; color: ${c.onColor}; }
button.deny { background: ${c.deny}; color: ${c.onColor}; }
button.secondary { background: ${c.bg}; color: ${c.accent}; border-color: ${c.accent}; }
button.link { min-height: 0; padding: 0 2px; background: none; border: none; color: ${c.accent}; text-decoration: underline; font-weight: 400; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
