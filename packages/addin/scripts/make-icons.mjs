// Draws the add-in's icons (a video camera) as PNGs into assets/. Run once; the PNGs are committed.
// Desktop: white camera on Roomlink blue. Mobile online-meeting icons: camera in Outlook's #919191 grey
// on transparent, at 25/32/48 px × scale 1/2/3.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const BLUE = [0x24, 0x59, 0xd1];
const WHITE = [0xff, 0xff, 0xff];
const GREY = [0x91, 0x91, 0x91];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inCamera = (x, y) => {
  if (inRoundRect(x, y, 0.16, 0.3, 0.62, 0.7, 0.07)) return true;
  if (x < 0.65 || x > 0.86) return false;
  const half = 0.07 + ((x - 0.65) / 0.21) * 0.13;
  return Math.abs(y - 0.5) <= half;
};

function draw(size, { background, foreground }) {
  const ss = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size;
          const y = (py + (sy + 0.5) / ss) / size;
          const inBg = background ? inRoundRect(x, y, 0, 0, 1, 1, 0.2) : false;
          const inFg = inCamera(x, y);
          if (inFg) fg++;
          else if (inBg) bg++;
        }
      }
      const n = ss * ss;
      const a = (fg + bg) / n;
      const i = (py * size + px) * 4;
      if (a === 0) continue;
      for (let c = 0; c < 3; c++) {
        const v = ((foreground[c] * fg + (background ? background[c] * bg : 0)) / (fg + bg)) | 0;
        rgba[i + c] = v;
      }
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return png(size, rgba);
}

for (const size of [16, 32, 64, 80, 128]) {
  writeFileSync(path.join(out, `icon-${size}.png`), draw(size, { background: BLUE, foreground: WHITE }));
}
for (const size of [25, 32, 48]) {
  for (const scale of [1, 2, 3]) {
    writeFileSync(
      path.join(out, `icon-mobile-${size}@${scale}x.png`),
      draw(size * scale, { background: null, foreground: GREY }),
    );
  }
}
console.log(`icons written to ${out}`);
