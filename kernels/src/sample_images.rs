//! Deterministic test pictures for case 3: colourful, non-trivial RGB images generated
//! from an index, so the project needs no downloaded images.
//!
//! Each picture layers a colour gradient (its palette and direction chosen by the index),
//! filled discs and rings with hard edges, a patch of fine stripes, and low-amplitude
//! hashed noise (so the PNG does not compress to nothing, as photos do not). All of it is
//! integer arithmetic, so a picture is the same on every platform.

use std::path::{Path, PathBuf};

use image::{DynamicImage, RgbImage};

use crate::image_filters::encode_png;

#[cfg(test)]
mod test;

/// How many discs or rings a picture has at most.
const MAX_SHAPES: u32 = 9;

/// Picture number `index` of `size` × `size` pixels, encoded as PNG (RGB, 8 bits).
///
/// The same `(index, size)` always gives the same bytes from the same build; different
/// indices give visibly different pictures.
///
/// # Panics
///
/// If `size` is 0.
pub fn sample_png(index: u32, size: u32) -> Vec<u8> {
    encode_png(&DynamicImage::ImageRgb8(sample_pixels(index, size)))
        .expect("an RGB8 image always encodes as PNG")
}

/// Writes pictures 0 to `count - 1` of `size` × `size` pixels to `dir` as
/// `sample-00.png`, `sample-01.png`, … (creating `dir` if needed), and returns their
/// paths in order.
///
/// # Panics
///
/// If `size` is 0.
pub fn write_sample_set(dir: &Path, count: u32, size: u32) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    (0..count)
        .map(|index| {
            let path = dir.join(format!("sample-{index:02}.png"));
            std::fs::write(&path, sample_png(index, size))?;
            Ok(path)
        })
        .collect()
}

/// The pixels of picture number `index` of `size` × `size` pixels.
///
/// # Panics
///
/// If `size` is 0.
pub fn sample_pixels(index: u32, size: u32) -> RgbImage {
    assert!(size > 0, "a sample picture needs a size of at least 1");
    let shapes = Shape::for_picture(index, size);
    let gradient = Gradient::for_picture(index);
    let stripes = Stripes::for_picture(index, size);
    let s = i64::from(size);
    let mut pixels = Vec::with_capacity(3 * (size as usize) * (size as usize));
    for y in 0..size {
        // Gradient coordinates scaled to 0..=255.
        let gy = (i64::from(y) * 255 / s) as i32;
        for x in 0..size {
            let gx = (i64::from(x) * 255 / s) as i32;
            let mut rgb = gradient.at(gx, gy);
            for shape in &shapes {
                shape.paint(x, y, &mut rgb);
            }
            stripes.paint(x, y, &mut rgb);
            let noise = hash(
                index ^ 0x5EED_0000,
                y.wrapping_mul(0x1_0001).wrapping_add(x),
            );
            for (channel, value) in rgb.iter_mut().enumerate() {
                // ±8 per channel, from different bits of the hash.
                let n = ((noise >> (8 * channel)) & 0xF) as i32 - 8;
                pixels.push((*value + n).clamp(0, 255) as u8);
            }
        }
    }
    RgbImage::from_raw(size, size, pixels).expect("three samples per pixel")
}

/// A 32-bit integer hash of `(seed, value)` (lowbias32's mixer on a combined word).
fn hash(seed: u32, value: u32) -> u32 {
    let mut h = value ^ seed.wrapping_mul(0x9E37_79B9).rotate_left(13);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7FEB_352D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846C_A68B);
    h ^= h >> 16;
    h
}

/// The background: each channel a linear mix of x, y and their complements.
struct Gradient {
    /// Per channel: weights of x, (255 − x), y, (255 − y), each 0..=2, and an offset.
    mix: [[i32; 5]; 3],
}

impl Gradient {
    fn for_picture(index: u32) -> Self {
        let mut mix = [[0; 5]; 3];
        for (channel, weights) in mix.iter_mut().enumerate() {
            let h = hash(index, 100 + channel as u32);
            for (k, weight) in weights.iter_mut().take(4).enumerate() {
                *weight = ((h >> (2 * k)) % 3) as i32;
            }
            weights[4] = ((h >> 16) % 96) as i32;
        }
        Gradient { mix }
    }

    fn at(&self, gx: i32, gy: i32) -> [i32; 3] {
        self.mix.map(|[wx, wnx, wy, wny, offset]| {
            let total = (wx + wnx + wy + wny).max(1);
            let value = wx * gx + wnx * (255 - gx) + wy * gy + wny * (255 - gy);
            offset + value * (255 - offset) / (255 * total)
        })
    }
}

/// A filled disc (shaded from the centre) or a ring, in one colour.
struct Shape {
    cx: i64,
    cy: i64,
    /// Squared radii: the disc is `d² ≤ outer`; a ring is `inner ≤ d² ≤ outer`.
    inner: i64,
    outer: i64,
    ring: bool,
    colour: [i32; 3],
}

impl Shape {
    fn for_picture(index: u32, size: u32) -> Vec<Shape> {
        let s = i64::from(size);
        let count = 4 + hash(index, 1) % (MAX_SHAPES - 3);
        (0..count)
            .map(|k| {
                let h = |salt: u32| i64::from(hash(index, 1000 * (k + 1) + salt));
                let radius = s / 20 + h(1) % (s / 4 + 1);
                let thickness = 1 + s / 200 + h(2) % (s / 40 + 1);
                let ring = h(3) % 3 == 0;
                let inner = if ring { (radius - thickness).max(0) } else { 0 };
                Shape {
                    cx: h(4) % s,
                    cy: h(5) % s,
                    inner: inner * inner,
                    outer: radius * radius,
                    ring,
                    colour: [h(6), h(7), h(8)].map(|v| (v % 256) as i32),
                }
            })
            .collect()
    }

    fn paint(&self, x: u32, y: u32, rgb: &mut [i32; 3]) {
        let (dx, dy) = (i64::from(x) - self.cx, i64::from(y) - self.cy);
        let d2 = dx * dx + dy * dy;
        if d2 > self.outer || d2 < self.inner {
            return;
        }
        if self.ring {
            *rgb = self.colour;
        } else {
            // Brightest at the centre, blending into the background towards the edge.
            let weight = (256 - d2 * 192 / self.outer.max(1)) as i32;
            for (value, colour) in rgb.iter_mut().zip(self.colour) {
                *value = (colour * weight + *value * (256 - weight)) / 256;
            }
        }
    }
}

/// A square patch of one-to-three-pixel stripes: fine detail for the 3×3 filters.
struct Stripes {
    x0: u32,
    y0: u32,
    side: u32,
    period: u32,
    vertical: bool,
}

impl Stripes {
    fn for_picture(index: u32, size: u32) -> Self {
        let side = (size / 6).max(1);
        let room = size - side + 1;
        Stripes {
            x0: hash(index, 7) % room,
            y0: hash(index, 8) % room,
            side,
            period: 2 + hash(index, 9) % 5,
            vertical: hash(index, 10) & 1 == 0,
        }
    }

    fn paint(&self, x: u32, y: u32, rgb: &mut [i32; 3]) {
        if x < self.x0 || y < self.y0 || x >= self.x0 + self.side || y >= self.y0 + self.side {
            return;
        }
        let along = if self.vertical {
            x - self.x0
        } else {
            y - self.y0
        };
        if along % self.period < self.period / 2 {
            *rgb = rgb.map(|v| 255 - v);
        }
    }
}
