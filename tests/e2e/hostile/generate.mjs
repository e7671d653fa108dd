// The hostile corpus of the safe mail view: variants of each attack class × MIME encodings.
//
// Every network-capable vector points at `http://127.0.0.1:<port>/<case-id>` (the canary),
// every script-capable vector runs a beacon that fetches `/script-<case-id>`, loads it as an
// image, posts `relais-exec:<case-id>` to its parent and top windows, and last tries to
// navigate the top window. The spec counts all of those: they must stay at 0.
//
//   import { generateCorpus } from './generate.mjs'    → [{ id, attack, encoding, subject, raw, html }]
//   node tests/e2e/hostile/generate.mjs --port 9 --out DIR [--only a,b]   writes DIR/<id>.eml
//
// No dependency: the MIME is written by hand (quoted-printable, base64, latin-1, UTF-7).

const CRLF = '\r\n';
const FROM = 'Attaquant <attaquant@ch-demo.mssante.fr>';
const TO = 'marie.martin@ch-demo.mssante.fr';
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

// --- attack payloads -------------------------------------------------------------------
// Each takes { u, s, id }: `u(suffix)` is a canary URL for this case, `s` the script beacon
// (single quotes only, so it fits in a double-quoted attribute), `sq` the same for a
// single-quoted context is not needed: the beacon has no double quotes.

function beacon(origin, id) {
  const u = `${origin}/script-${id}`;
  return (
    `(function(){var u='${u}';` +
    `try{fetch(u)}catch(e){}` +
    `try{new Image().src=u+'-img'}catch(e){}` +
    `try{parent.postMessage('relais-exec:${id}','*')}catch(e){}` +
    `try{top.postMessage('relais-exec:${id}','*')}catch(e){}` +
    `try{top.document.title='PWNED ${id}'}catch(e){}` +
    `try{top.location=u+'-nav'}catch(e){}})()`
  );
}

/** [attack class, name, payload(ctx) → html] */
const PAYLOADS = [
  // script tags
  ['script', 'inline', ({ s }) => `<p>Compte rendu</p><script>${s}</script>`],
  ['script', 'external-src', ({ u }) => `<script src="${u('js')}"></script><p>Résultats</p>`],
  ['script', 'mixed-case', ({ s }) => `<ScRiPt type="text/javascript">${s}</sCrIpT><p>x</p>`],
  ['script', 'split-tag', ({ s }) => `<scr<script>ipt>${s}</scr</script>ipt><p>y</p>`],
  ['script', 'in-head', ({ s }) => `<html><head><script>${s}</script><title>t</title></head><body><p>corps</p></body></html>`],
  ['script', 'module-and-nomodule', ({ s, u }) => `<script type="module">${s}</script><script nomodule src="${u('nomodule')}"></script>`],
  ['script', 'template-noscript', ({ s }) => `<template><script>${s}</script></template><noscript><p title="</noscript><script>${s}</script>">n</p></noscript>`],
  // event handlers
  ['handler', 'img-onerror', ({ s }) => `<img src="x" onerror="${s}" alt="img">`],
  ['handler', 'body-onload', ({ s }) => `<body onload="${s}"><p>Bonjour</p></body>`],
  ['handler', 'svg-onload', ({ s }) => `<svg onload="${s}"><rect width="10" height="10"/></svg>`],
  ['handler', 'details-ontoggle', ({ s }) => `<details open ontoggle="${s}"><summary>s</summary>d</details>`],
  ['handler', 'autofocus-onfocus', ({ s }) => `<input autofocus onfocus="${s}"><div tabindex="0" autofocus onfocus="${s}">f</div>`],
  ['handler', 'media-onerror', ({ s }) => `<video onerror="${s}"><source onerror="${s}" src="x"></video><audio src="x" onerror="${s}"></audio>`],
  ['handler', 'style-onload', ({ s }) => `<style onload="${s}">p{color:red}</style><link rel="stylesheet" href="data:text/css,p{}" onload="${s}"><p onmouseover="${s}" onclick="${s}">survol</p>`],
  ['handler', 'marquee-onstart', ({ s }) => `<marquee onstart="${s}">m</marquee><object onerror="${s}" data="x"></object>`],
  // javascript: URLs
  ['javascript-url', 'iframe-src', ({ s }) => `<iframe src="javascript:${s}"></iframe>`],
  ['javascript-url', 'entity-obfuscated', ({ s }) => `<iframe src="jav&#x09;ascript:${s}"></iframe><img src="&#106;avascript:${s}"><a href="java&#x0A;script:${s}">lien</a>`],
  ['javascript-url', 'object-embed', ({ s }) => `<object data="javascript:${s}"></object><embed src="javascript:${s}">`],
  ['javascript-url', 'form-action-button', ({ s }) => `<form action="javascript:${s}"><button formaction="javascript:${s}">ok</button></form>`],
  ['javascript-url', 'meta-refresh', ({ s }) => `<meta http-equiv="refresh" content="0;url=javascript:${s}"><p>m</p>`],
  // data: URLs
  ['data-url', 'iframe-html', ({ s }) => `<iframe src="data:text/html,<script>${encodeURIComponent(s)}</script>"></iframe>`],
  ['data-url', 'iframe-base64', ({ s }) => `<iframe src="data:text/html;base64,${Buffer.from(`<script>${s}</script>`).toString('base64')}"></iframe>`],
  ['data-url', 'object-svg', ({ s }) => `<object data="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='${encodeURIComponent(s)}'/>"></object>`],
  ['data-url', 'img-svg', ({ u }) => `<img src="data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><image href="${u('svg-img')}"/></svg>`).toString('base64')}">`],
  ['data-url', 'script-src', ({ s }) => `<script src="data:text/javascript,${encodeURIComponent(s)}"></script><embed src="data:text/html,<script>${encodeURIComponent(s)}</script>">`],
  // SVG
  ['svg', 'script', ({ s }) => `<svg xmlns="http://www.w3.org/2000/svg"><script>${s}</script><circle r="5"/></svg>`],
  ['svg', 'image-href', ({ u }) => `<svg><image href="${u('svg-image')}" width="10" height="10"/><image xlink:href="${u('svg-xlink')}"/></svg>`],
  ['svg', 'use-and-feimage', ({ u }) => `<svg><use href="${u('use')}#x"/><filter id="f"><feImage href="${u('feimage')}"/></filter></svg>`],
  ['svg', 'foreignobject', ({ s, u }) => `<svg><foreignObject><iframe src="${u('fo')}"></iframe><img src="x" onerror="${s}"></foreignObject></svg>`],
  ['svg', 'animate-set', ({ s }) => `<svg><a><animate attributeName="href" values="javascript:${s}"/><set attributeName="onmouseover" to="${s}"/><text y="20">clic</text></a></svg>`],
  ['svg', 'math-mxss', ({ s }) => `<math><mtext><table><mglyph><style><img src=x onerror="${s}"></style></mglyph></table></mtext></math><svg></p><style><a id="</style><img src=x onerror=${s}>">`],
  // CSS url() and @import
  ['css', 'style-attr-url', ({ u }) => `<p style="background:url(${u('bg')})">fond</p><div style="background-image:url('${u('bgi')}')">d</div>`],
  ['css', 'style-element-url', ({ u }) => `<style>body{background:url(${u('style-bg')})} p{list-style-image:url(${u('lsi')})}</style><p>p</p>`],
  ['css', 'import', ({ u }) => `<style>@import url(${u('import')});@import "${u('import2')}";</style><p>i</p>`],
  ['css', 'link-stylesheet', ({ u }) => `<link rel="stylesheet" href="${u('link.css')}"><link rel="preload" as="image" href="${u('preload')}"><link rel="prefetch" href="${u('prefetch')}"><p>l</p>`],
  ['css', 'font-face', ({ u }) => `<style>@font-face{font-family:x;src:url(${u('font')})}p{font-family:x}</style><p style="font-family:x">f</p>`],
  ['css', 'escaped-url', ({ u }) => `<p style="background:u\\72l(${u('esc')})">e</p><p style="background:&#117;rl(${u('ent')})">e2</p><p style="background-image:image-set('${u('set')}' 1x)">e3</p>`],
  ['css', 'other-props', ({ u }) => `<p style="cursor:url(${u('cursor')}),auto;border-image:url(${u('border')}) 30;content:url(${u('content')});-webkit-mask-image:url(${u('mask')})">p</p>`],
  ['css', 'expression-behavior', ({ s, u }) => `<p style="width:expression(${s});behavior:url(${u('htc')});-moz-binding:url(${u('xbl')})">x</p>`],
  // meta refresh
  ['meta-refresh', 'http', ({ u }) => `<meta http-equiv="refresh" content="0;url=${u('refresh')}"><p>r</p>`],
  ['meta-refresh', 'in-body-upper', ({ u }) => `<p>avant</p><META HTTP-EQUIV="Refresh" CONTENT="1; URL=${u('refresh2')}"><p>après</p>`],
  ['meta-refresh', 'head-and-csp', ({ u }) => `<html><head><meta http-equiv="Content-Security-Policy" content="default-src *"><meta http-equiv="refresh" content="0;${u('refresh3')}"></head><body>b</body></html>`],
  // forms
  ['form', 'autosubmit', ({ u, s }) => `<form id="f" action="${u('form')}" method="post"><input name="ins" value="123"></form><script>${s};document.getElementById('f').submit()</script>`],
  ['form', 'input-image', ({ u }) => `<form action="${u('form2')}"><input type="image" src="${u('input-image')}"><input type="submit"></form>`],
  ['form', 'formaction-autofocus', ({ u }) => `<form><button formaction="${u('formaction')}" autofocus>Envoyer</button><isindex action="${u('isindex')}"></form>`],
  // <base>
  ['base', 'relative-img', ({ u }) => `<base href="${u('base')}/"><img src="pixel.gif"><img src="./p2.png"><a href="rel">lien relatif</a>`],
  ['base', 'relative-css', ({ u }) => `<html><head><base href="${u('base2')}/"><link rel="stylesheet" href="s.css"></head><body><p style="background:url(b.png)">b</p></body></html>`],
  ['base', 'protocol-relative', ({ u }) => `<img src="${u('pr').replace(/^http:/, '')}"><img src="${u('ws').replace(/^http/, ' HTTP')}"><img src="&#104;ttp://127.0.0.1${u('ent').replace(/^http:\/\/127\.0\.0\.1/, '')}">`],
  // tracking pixels and other loaders
  ['tracking', 'pixel', ({ u }) => `<p>Lettre</p><img src="${u('pixel.gif')}" width="1" height="1" alt="">`],
  ['tracking', 'srcset-picture', ({ u }) => `<img srcset="${u('srcset')} 1x, ${u('srcset2')} 2x"><picture><source srcset="${u('source')}"><img src="${u('pic')}"></picture>`],
  ['tracking', 'background-attrs', ({ u }) => `<body background="${u('body-bg')}"><table background="${u('table-bg')}"><tr><td background="${u('td-bg')}">t</td></tr></table></body>`],
  ['tracking', 'media', ({ u }) => `<video poster="${u('poster')}" src="${u('video')}" autoplay></video><audio src="${u('audio')}" autoplay></audio><video><source src="${u('vsource')}"><track src="${u('track')}"></video>`],
  ['tracking', 'frames-objects', ({ u }) => `<iframe src="${u('iframe')}"></iframe><object data="${u('object')}"></object><embed src="${u('embed')}"><frameset><frame src="${u('frame')}"></frameset><portal src="${u('portal')}"></portal>`],
  ['tracking', 'legacy-attrs', ({ u }) => `<img lowsrc="${u('lowsrc')}" dynsrc="${u('dynsrc')}"><image src="${u('image-tag')}"><bgsound src="${u('bgsound')}"><applet codebase="${u('applet')}" code="x"></applet><input type="image" src="${u('input')}">`],
  ['tracking', 'link-dns-ping', ({ u }) => `<link rel="dns-prefetch" href="${u('dns')}"><link rel="preconnect" href="${u('preconnect')}"><link rel="icon" href="${u('icon')}"><a href="https://example.org/" ping="${u('ping')}">lien</a>`],
  ['tracking', 'https-pixel-blocked', ({ origin, id }) => `<img src="${origin.replace('http:', 'https:')}/${id}-https" width="1" height="1" alt="pixel https">`],
];

// --- encodings -------------------------------------------------------------------------

function qp(text, charset = 'utf-8') {
  const bytes = charset === 'iso-8859-1' ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
  let out = '';
  let line = '';
  for (const b of bytes) {
    let piece;
    if (b === 0x0a) {
      out += line + CRLF;
      line = '';
      continue;
    } else if (b === 0x0d) continue;
    else if ((b >= 33 && b <= 126 && b !== 61) || b === 32) piece = String.fromCharCode(b);
    else piece = '=' + b.toString(16).toUpperCase().padStart(2, '0');
    if (line.length + piece.length > 73) {
      out += line + '=' + CRLF;
      line = '';
    }
    line += piece;
  }
  return out + line;
}

function b64(buffer) {
  return Buffer.from(buffer).toString('base64').replace(/.{1,76}/g, (l) => l + CRLF).trimEnd();
}

/** Folds a long 8bit line at spaces so no line passes 998 octets. */
function fold8bit(text) {
  return text
    .split('\n')
    .map((line) => (line.length < 990 ? line : line.replace(/(.{1,900})(?: |$)/g, '$1\n').replace(/\n$/, '')))
    .join(CRLF);
}

/** UTF-7 (RFC 2152): `<`, `>`, `"` and the rest outside the direct set become +…- runs. */
function utf7(text) {
  const direct = /[A-Za-z0-9'(),\-./:? \t\r\n!#$%*;=@[\]^_`{|}]/;
  let out = '';
  let run = '';
  const flush = () => {
    if (!run) return;
    const buf = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) buf.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += '+' + buf.toString('base64').replace(/=+$/, '') + '-';
    run = '';
  };
  for (const ch of text) {
    if (direct.test(ch)) {
      flush();
      out += ch;
    } else run += ch;
  }
  flush();
  return out;
}

const part = (headers, body) => headers.join(CRLF) + CRLF + CRLF + body;

/** name → (html, ctx) → { headers: [...], body } for the top-level content. */
const ENCODINGS = {
  '8bit': (html) => ({
    headers: ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
    body: fold8bit(html),
  }),
  qp: (html) => ({
    headers: ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'],
    body: qp(html),
  }),
  base64: (html) => ({
    headers: ['Content-Type: text/html; charset="UTF-8"', 'Content-Transfer-Encoding: base64'],
    body: b64(Buffer.from(html)),
  }),
  'alternative-qp': (html, { id }) => {
    const b = `alt-${id}`;
    return {
      headers: [`Content-Type: multipart/alternative; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], qp(`Version texte du cas ${id}.`)),
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], qp(html)),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  },
  'latin1-qp': (html) => ({
    headers: ['Content-Type: text/html; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable'],
    body: qp(`<p>Résumé du séjour — ${'é'.repeat(3)}</p>`.replace('—', '-') + html.replace(/[^\x00-\xff]/g, '?'), 'iso-8859-1'),
  }),
  'related-cid': (html, { id }) => {
    const b = `rel-${id}`;
    return {
      headers: [`Content-Type: multipart/related; boundary="${b}"; type="text/html"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64'],
          b64(Buffer.from(`<p><img src="cid:logo-${id}@relais" alt="logo"></p>${html}`))),
        `--${b}`,
        part(['Content-Type: image/png', `Content-ID: <logo-${id}@relais>`, 'Content-Disposition: inline; filename="logo.png"', 'Content-Transfer-Encoding: base64'], PNG_1X1),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  },
  'nested-rfc822': (html, { id, subject }) => {
    const b = `mix-${id}`;
    const inner = [
      `From: ${FROM}`,
      `To: ${TO}`,
      `Subject: ${subject} (message joint)`,
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      qp(html),
    ].join(CRLF);
    return {
      headers: [`Content-Type: multipart/mixed; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], `<p>Message transféré, cas ${id}.</p>`),
        `--${b}`,
        part(['Content-Type: message/rfc822', 'Content-Disposition: inline'], inner),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  },
};

const ENCODING_NAMES = Object.keys(ENCODINGS);

// --- special structures: charsets, cid, Content-Base, header attacks ----------------------

function specials(origin) {
  const list = [];
  const add = (attack, name, build) => list.push({ attack, encoding: name, build });
  add('charset', 'utf-7', ({ s }) => ({
    headers: ['Content-Type: text/html; charset=utf-7', 'Content-Transfer-Encoding: 7bit'],
    body: utf7(`<p>UTF-7</p><script>${s}</script><img src="x" onerror="${s}">`),
  }));
  add('charset', 'unknown-charset', ({ s, u }) => ({
    headers: ['Content-Type: text/html; charset=x-relais-inconnu', 'Content-Transfer-Encoding: 8bit'],
    body: `<p>Charset inconnu \u00e9\u00e8</p><script>${s}</script><img src="${u('unknown')}">`,
  }));
  add('charset', 'meta-charset-mismatch', ({ s }) => ({
    headers: ['Content-Type: text/html; charset=iso-8859-1', 'Content-Transfer-Encoding: base64'],
    body: b64(Buffer.concat([
      Buffer.from(`<html><head><meta charset="utf-7"></head><body>`, 'latin1'),
      Buffer.from(utf7(`<script>${s}</script>`), 'latin1'),
      Buffer.from('<p>caf\xe9</p></body></html>', 'latin1'),
    ])),
  }));
  add('charset', 'utf16-base64', ({ s }) => ({
    headers: ['Content-Type: text/html; charset=utf-16', 'Content-Transfer-Encoding: base64'],
    body: b64(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<p>UTF-16</p><script>${s}</script><svg onload="${s}"/>`, 'utf16le')])),
  }));
  add('charset', 'shift-jis-mixed', ({ s, u }) => ({
    headers: ['Content-Type: text/html; charset=shift_jis', 'Content-Transfer-Encoding: base64'],
    // 0x82 0xa0 is あ in Shift_JIS; a lone 0x82 before `<` tries to swallow it.
    body: b64(Buffer.concat([Buffer.from([0x82, 0xa0, 0x82]), Buffer.from(`<img src="${u('sjis')}" onerror="${s}"><script>${s}</script>`)])),
  }));
  add('charset', 'windows-1252-smart', ({ s }) => ({
    headers: ['Content-Type: text/html; charset=windows-1252', 'Content-Transfer-Encoding: quoted-printable'],
    body: `=93guillemets=94 =80 <scr=0Aipt>${s}</scr=0Aipt><a href=3D"jav=09ascript:${s}">x</a>`,
  }));
  add('cid', 'cid-svg-script', ({ s, id }) => {
    const b = `rel-${id}`;
    return {
      headers: [`Content-Type: multipart/related; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], `<p><img src="cid:evil-${id}@x" alt="svg"></p>`),
        `--${b}`,
        part(['Content-Type: image/svg+xml', `Content-ID: <evil-${id}@x>`, 'Content-Disposition: inline'],
          `<svg xmlns="http://www.w3.org/2000/svg" onload="${s}"><script>${s}</script></svg>`),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  add('cid', 'cid-html-part', ({ s, id }) => {
    const b = `rel-${id}`;
    return {
      headers: [`Content-Type: multipart/related; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], `<p><img src="cid:page-${id}@x"><iframe src="cid:page-${id}@x"></iframe><a href="cid:page-${id}@x">cid</a></p>`),
        `--${b}`,
        part(['Content-Type: text/html', `Content-ID: <page-${id}@x>`, 'Content-Disposition: inline; filename="page.html"'], `<script>${s}</script>`),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  add('cid', 'cid-png-declared-svg-bytes', ({ s, id }) => {
    const b = `rel-${id}`;
    return {
      headers: [`Content-Type: multipart/related; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], `<p><img src="cid:fake-${id}@x" alt="faux png"></p>`),
        `--${b}`,
        part(['Content-Type: image/png', `Content-ID: <fake-${id}@x>`, 'Content-Disposition: inline; filename="fake.png"', 'Content-Transfer-Encoding: base64'],
          b64(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${s}"><script>${s}</script></svg>`))),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  add('base', 'content-base-header', ({ u }) => ({
    headers: ['Content-Type: text/html; charset=utf-8', `Content-Base: "${u('content-base')}/"`, `Content-Location: ${u('content-location')}/page.html`],
    body: '<img src="pixel.gif"><link rel="stylesheet" href="s.css"><p>Content-Base</p>',
  }));
  add('structure', 'html-attachment', ({ s, u, id }) => {
    const b = `mix-${id}`;
    return {
      headers: [`Content-Type: multipart/mixed; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/plain; charset=utf-8'], 'Voir la pièce jointe.'),
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8', 'Content-Disposition: attachment; filename="resultats.html"'], `<script>${s}</script><img src="${u('attached')}">`),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  add('structure', 'two-html-parts', ({ s, u, id }) => {
    const b = `mix-${id}`;
    return {
      headers: [`Content-Type: multipart/mixed; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], `<p>Première partie <b>ouverte`),
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64'], b64(Buffer.from(`</b></p><img src="${u('second')}" onerror="${s}"><script>${s}</script>`))),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  add('structure', 'deep-nesting', ({ s, u, id }) => {
    let body = part(['Content-Type: text/html; charset=utf-8'], `<p>Au fond</p><script>${s}</script><img src="${u('deep')}">`);
    for (let depth = 0; depth < 12; depth++) {
      const b = `d${depth}-${id}`;
      body = part([`Content-Type: multipart/mixed; boundary="${b}"`], [`--${b}`, body, `--${b}--`, ''].join(CRLF));
    }
    const [headers, ...rest] = body.split(CRLF + CRLF);
    return { headers: headers.split(CRLF), body: rest.join(CRLF + CRLF) };
  });
  add('header', 'encoded-word-subject-html', ({ s, u }) => ({
    subjectExtra: `=?utf-8?B?${Buffer.from(`<img src="${u('subject')}" onerror="${s}"><script>${s}</script>`).toString('base64')}?=`,
    fromOverride: `=?utf-8?Q?=3Cimg_src=3D=22${encodeURIComponent(u('from')).replace(/%/g, '=')}=22=3E?= <attaquant@ch-demo.mssante.fr>`,
    headers: ['Content-Type: text/plain; charset=utf-8'],
    body: `<script>${s}</script> texte brut <img src="${u('text-body')}">`,
  }));
  add('header', 'attachment-name-html', ({ s, u, id }) => {
    const b = `mix-${id}`;
    return {
      headers: [`Content-Type: multipart/mixed; boundary="${b}"`],
      body: [
        `--${b}`,
        part(['Content-Type: text/html; charset=utf-8'], '<p>Nom de fichier piégé</p>'),
        `--${b}`,
        part(['Content-Type: image/png', `Content-Disposition: attachment; filename="<img src='${u('filename')}' onerror='${s.replace(/'/g, '&#39;')}'>.png"`, 'Content-Transfer-Encoding: base64'], PNG_1X1),
        `--${b}--`,
        '',
      ].join(CRLF),
    };
  });
  void origin;
  return list;
}

// --- the corpus ------------------------------------------------------------------------

/**
 * Builds the corpus for a canary at `origin` (`http://127.0.0.1:<port>`). Each payload runs
 * in two encodings (rotating through all seven), then the special structures. Dates go
 * back one minute per message so the list shows them in order.
 */
export function generateCorpus(origin, { encodingsPerPayload = 2, start = Date.UTC(2026, 10, 20, 9, 0) } = {}) {
  const cases = [];
  let n = 0;
  const make = (attack, name, encoding, build) => {
    n += 1;
    const id = `h${String(n).padStart(3, '0')}`;
    const ctx = { id, origin, u: (suffix) => `${origin}/${id}${suffix ? '-' + suffix : ''}`, s: beacon(origin, id) };
    const subject = `[${id.toUpperCase()}] ${attack} / ${name} / ${encoding}`;
    ctx.subject = subject;
    const content = build(ctx);
    const date = new Date(start - n * 60_000).toUTCString().replace('GMT', '+0000');
    const headers = [
      `From: ${content.fromOverride ?? FROM}`,
      `To: Marie MARTIN <${TO}>`,
      `Subject: ${subject}${content.subjectExtra ? ' ' + content.subjectExtra : ''}`,
      `Date: ${date}`,
      `Message-ID: <hostile-${id}-${attack}-${name}@relais.test>`,
      'MIME-Version: 1.0',
      ...content.headers,
    ];
    const raw = Buffer.from(headers.join(CRLF) + CRLF + CRLF + content.body + CRLF, 'utf8');
    cases.push({ id, attack, name, encoding, subject, raw, textOnly: attack === 'header' && name === 'encoded-word-subject-html' });
  };
  let rotation = 0;
  for (const [attack, name, payload] of PAYLOADS) {
    for (let k = 0; k < encodingsPerPayload; k++) {
      const encoding = ENCODING_NAMES[rotation++ % ENCODING_NAMES.length];
      make(attack, name, encoding, (ctx) => ENCODINGS[encoding](payload(ctx), ctx));
    }
  }
  for (const special of specials(origin)) make(special.attack, special.encoding, 'special', special.build);
  return cases;
}

/** The positive control: one `https` image and one `http` image on the canary. */
export function controlMessage(origin, start = Date.UTC(2026, 10, 20, 9, 30)) {
  const https = origin.replace('http:', 'https:');
  const html = `<p>Contrôle du canari.</p><img src="${https}/control-https.png" alt="https"><img src="${origin}/control-http.png" alt="http">`;
  const raw = [
    `From: ${FROM}`,
    `To: Marie MARTIN <${TO}>`,
    'Subject: [CONTROLE] images distantes https et http',
    `Date: ${new Date(start).toUTCString().replace('GMT', '+0000')}`,
    'Message-ID: <hostile-control@relais.test>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '',
  ].join(CRLF);
  return { id: 'control', subject: '[CONTROLE] images distantes https et http', raw: Buffer.from(raw) };
}

// --- command line: write the corpus as .eml files ------------------------------------------
if (import.meta.url === `file://${process.argv[1]}`) {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const origin = `http://127.0.0.1:${arg('--port', '9')}`;
  const out = arg('--out', 'hostile-corpus');
  const only = arg('--only', '')?.split(',').filter(Boolean) ?? [];
  fs.mkdirSync(out, { recursive: true });
  const cases = generateCorpus(origin);
  for (const c of cases) {
    if (only.length && !only.includes(c.id)) continue;
    fs.writeFileSync(path.join(out, `${c.id}-${c.attack}-${c.name}-${c.encoding}.eml`), c.raw);
  }
  console.log(`${cases.length} hostile messages${only.length ? `, wrote ${only.length}` : ''} in ${out}`);
}
