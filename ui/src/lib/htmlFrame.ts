// The document shown in the reader's sandboxed iframe.
//
// The engine already sanitised the HTML (ammonia) and replaced remote images. This is the
// second wall: the iframe has `sandbox="allow-popups"` (no scripts, no same origin, no
// forms) and the document carries its own CSP, so even a sanitiser slip cannot run code or
// fetch anything from the network. `allow-popups` lets a click on a link ask for a new
// window: the shell never opens one, it hands the link to LinkDialog (src-tauri/src/links.rs).

/** The CSP of the message document: inline styles and embedded images, nothing else. */
export const MESSAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src cid: data:";
/** The same once the person chose « Afficher les images » for this message: `https` images too. */
export const MESSAGE_CSP_REMOTE =
  "default-src 'none'; style-src 'unsafe-inline'; img-src cid: data: https:";

const BASE_STYLE = `
  html { color-scheme: light; }
  body { margin: 0; padding: 1rem 1.25rem; font: 15px/1.55 system-ui, sans-serif;
         color: #18212d; background: #ffffff; overflow-wrap: anywhere; }
  img { max-width: 100%; height: auto; }
  pre { white-space: pre-wrap; }
  table { max-width: 100%; }
  a { color: #1f4f8f; }
`;

/** Wraps the engine's sanitised HTML into the iframe's `srcdoc`. */
export function messageSrcdoc(html: string, remoteImages = false): string {
  const csp = remoteImages ? MESSAGE_CSP_REMOTE : MESSAGE_CSP;
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    // Every link asks for a new window (which the shell turns into LinkDialog) rather than
    // navigating the frame.
    '<base target="_blank">',
    `<style>${BASE_STYLE}</style>`,
    '</head><body>',
    html,
    '</body></html>',
  ].join('');
}
