// What a PDF Chromium printed is made of, read without a PDF library: Chromium writes its page
// objects uncompressed. Used by every browser test that prints a document.

/** The pages of a PDF Chromium wrote (uncompressed page objects) and whether each is A4. */
export function pdfPages(pdf) {
  const text = pdf.toString('latin1');
  const pages = (text.match(/\/Type\s*\/Page[^s]/g) || []).length;
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)];
  // A4 is 210 × 297 mm: 595.3 × 841.9 points.
  const a4 = boxes.length > 0 && boxes.every((b) => Math.abs(b[3] - 595.3) < 2 && Math.abs(b[4] - 841.9) < 2);
  return { pages, a4 };
}

