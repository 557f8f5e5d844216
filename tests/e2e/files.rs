//! The bytes of the files tests upload as materials: acceptance checks an upload by its content
//! (a PDF starts with `%PDF-`, a JPEG with FF D8 FF, a PNG with its 8-byte signature), so every
//! test file is what its declared type says it is. One source for all of them.

/// A small file of `content_type` that starts with the type's signature; for a type acceptance
/// does not take, plain text.
pub fn scan(content_type: &str) -> Vec<u8> {
    match content_type {
        "application/pdf" => {
            b"%PDF-1.7\n%test scan\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()
        }
        // SOI, an APP0 (JFIF) segment, EOI.
        "image/jpeg" => [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10][..],
            b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0",
            &[0xFF, 0xD9],
        ]
        .concat(),
        // The signature and an IHDR chunk of a 1×1 image.
        "image/png" => [
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
            &[0, 0, 0, 13],
            b"IHDR",
            &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
            &[0x1F, 0x15, 0xC4, 0x89],
        ]
        .concat(),
        _ => b"a plain text scan".to_vec(),
    }
}

/// A page of HTML, as someone would send it declared as a PDF to have it served back.
pub fn html_page() -> Vec<u8> {
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>".to_vec()
}
