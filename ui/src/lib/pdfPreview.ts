// The PDF preview of the reader: pdf.js draws the pages onto canvases, nothing else.
//
// What a PDF cannot do here: run its own scripts (pdf.js's core never runs document
// JavaScript; its scripting sandbox is not loaded), run code built from the file
// (`isEvalSupported: false`, the fix and the mitigation of CVE-2024-4367), follow or offer
// links or forms (no annotation layer is made: only the canvas is drawn), reach the network
// (the bytes come through the app's IPC; the window's CSP allows no other connection, and no
// font or character map is fetched). See docs/security.md.

/** Pages drawn at most: a long document opens with the system. */
export const MAX_PAGES = 20;

/** The bytes of a `data:…;base64,` URL. */
export function dataUrlBytes(url: string): Uint8Array {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0 || !url.slice(0, comma).endsWith(';base64')) {
    throw new Error('not a base64 data URL');
  }
  const binary = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether a preview URL holds a PDF (rather than an image). */
export function isPdfUrl(url: string): boolean {
  return url.startsWith('data:application/pdf;');
}

/**
 * Draws the first pages of the PDF in `url` into `host`, one canvas a page; returns the
 * document's page count. pdf.js is loaded on first use (the mailbox opens without it).
 */
export async function renderPdf(url: string, host: HTMLElement, label: (page: number) => string): Promise<number> {
  const pdfjs = await import('pdfjs-dist');
  const worker = await import('pdfjs-dist/build/pdf.worker.min.mjs?url');
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
  const task = pdfjs.getDocument({
    data: dataUrlBytes(url),
    isEvalSupported: false,
    enableXfa: false,
    disableAutoFetch: true,
    disableStream: true,
    disableFontFace: false,
    useSystemFonts: false,
  });
  const doc = await task.promise;
  try {
    const count = Math.min(doc.numPages, MAX_PAGES);
    for (let n = 1; n <= count; n += 1) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.25 });
      const canvas = document.createElement('canvas');
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', label(n));
      host.append(canvas);
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2D canvas');
      await page.render({ canvasContext: context, viewport }).promise;
    }
    return doc.numPages;
  } finally {
    await doc.destroy();
  }
}
