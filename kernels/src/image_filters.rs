//! Seed case 3: image filters (decode PNG or JPEG → filter → encode PNG), with the pixel
//! arithmetic written here in integers so results are bit-exact on every platform.
//!
//! Three layers, so a test can check a guest's output against the same algorithm run
//! natively:
//! - byte level ([`grayscale_blur`], [`grayscale`], [`box_blur`], [`sharpen`], [`resize`],
//!   [`rotate`]): what the `image-filters` guest exports, encoded bytes in, PNG bytes out;
//! - image level ([`grayscale_blur_pixels`], [`grayscale_pixels`], [`box_blur_pixels`],
//!   [`sharpen_pixels`], [`resize_pixels`], [`rotate_pixels`]): the same on a decoded
//!   [`DynamicImage`];
//! - buffer level ([`box_blur_3x3`], [`sharpen_3x3`]): the 3×3 filters on any 8- or 16-bit
//!   [`ImageBuffer`].
//!
//! Colour types: [`grayscale`] and [`grayscale_blur`] give 8-bit grayscale (`L8`).
//! [`box_blur`], [`sharpen`], [`resize`] and [`rotate`] keep the colour type the decoder
//! gave (PNG: `L8`, `La8`, `Rgb8`, `Rgba8` or their 16-bit forms; JPEG: `L8` or `Rgb8`);
//! an image in floating point (which neither decoder yields) is first converted to
//! `Rgba8`. Filters treat every channel alike, alpha included (no premultiplication).
//!
//! Edges are clamped: a pixel outside the image takes the value of the nearest edge
//! pixel. PNG output uses the `image` crate's fast deflate with adaptive filtering.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType as PngFilterType, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, ImageBuffer, Pixel};

#[cfg(test)]
mod test;

/// The largest width or height [`resize`] accepts.
pub const MAX_SIDE: u32 = 16384;

/// Decodes PNG or JPEG bytes, converts them to 8-bit grayscale, applies a 3×3 box blur and
/// encodes the result as PNG: the seed's pipeline. See [`grayscale_blur_pixels`].
pub fn grayscale_blur(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(&DynamicImage::ImageLuma8(grayscale_blur_pixels(&decode(
        bytes,
    )?)))
}

/// Decodes PNG or JPEG bytes and encodes their 8-bit grayscale as PNG. See
/// [`grayscale_pixels`].
pub fn grayscale(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(&DynamicImage::ImageLuma8(grayscale_pixels(&decode(bytes)?)))
}

/// Decodes PNG or JPEG bytes and encodes them as PNG after a 3×3 box blur of each channel.
/// See [`box_blur_pixels`].
pub fn box_blur(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(&box_blur_pixels(&decode(bytes)?))
}

/// Decodes PNG or JPEG bytes and encodes a sharpened copy as PNG. See [`sharpen_pixels`].
pub fn sharpen(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(&sharpen_pixels(&decode(bytes)?))
}

/// Decodes PNG or JPEG bytes and encodes them resized to `width` × `height` as PNG. See
/// [`resize_pixels`]; the sizes are checked before the image is decoded.
pub fn resize(bytes: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    check_size(width, height)?;
    encode_png(&resize_pixels(&decode(bytes)?, width, height)?)
}

/// Decodes PNG or JPEG bytes and encodes them rotated by `quarter_turns` × 90° clockwise
/// as PNG. See [`rotate_pixels`].
pub fn rotate(bytes: &[u8], quarter_turns: u32) -> Result<Vec<u8>, String> {
    encode_png(&rotate_pixels(&decode(bytes)?, quarter_turns))
}

/// Decodes PNG or JPEG bytes (the format is guessed from the content).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    image::load_from_memory(bytes).map_err(|error| {
        format!(
            "cannot decode image: {}; expected PNG or JPEG bytes",
            lowercase_first(&error.to_string())
        )
    })
}

/// Encodes an image as PNG (fast deflate, adaptive filtering), keeping its colour type.
/// Fails only for colour types PNG cannot hold (floating point).
pub fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::with_capacity(image.as_bytes().len() / 2 + 1024));
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PngFilterType::Adaptive);
    image
        .write_with_encoder(encoder)
        .map_err(|error| format!("cannot encode PNG: {}", lowercase_first(&error.to_string())))?;
    Ok(out.into_inner())
}

/// The seed's pipeline on a decoded image: [`grayscale_pixels`], then [`box_blur_3x3`].
pub fn grayscale_blur_pixels(image: &DynamicImage) -> GrayImage {
    box_blur_3x3(&grayscale_pixels(image))
}

/// 8-bit grayscale of an image, with integer arithmetic.
///
/// Colour pixels use the ITU-R 601 luma weights in 16-bit fixed point, exactly as
/// Pillow's `convert("L")` does: `L = (19595·R + 38470·G + 7471·B + 32768) >> 16`.
/// Alpha is dropped. 16-bit samples are first reduced to 8 bits by rounding
/// (`(v + 128) / 257`); floating-point images go through the `image` crate's `to_rgb8`.
pub fn grayscale_pixels(image: &DynamicImage) -> GrayImage {
    let (width, height) = (image.width(), image.height());
    let luma = match image {
        DynamicImage::ImageLuma8(buffer) => return buffer.clone(),
        DynamicImage::ImageLumaA8(buffer) => gray_from(buffer.as_raw(), 2),
        DynamicImage::ImageRgb8(buffer) => luma_from(buffer.as_raw(), 3),
        DynamicImage::ImageRgba8(buffer) => luma_from(buffer.as_raw(), 4),
        DynamicImage::ImageLuma16(buffer) => gray_from(buffer.as_raw(), 1),
        DynamicImage::ImageLumaA16(buffer) => gray_from(buffer.as_raw(), 2),
        DynamicImage::ImageRgb16(buffer) => luma_from(buffer.as_raw(), 3),
        DynamicImage::ImageRgba16(buffer) => luma_from(buffer.as_raw(), 4),
        other => luma_from(other.to_rgb8().as_raw(), 3),
    };
    GrayImage::from_raw(width, height, luma).expect("one luma sample per pixel")
}

/// A 3×3 box blur of every channel (see [`box_blur_3x3`]), keeping the colour type; a
/// floating-point image is converted to `Rgba8` first.
pub fn box_blur_pixels(image: &DynamicImage) -> DynamicImage {
    map_integer_image(image, Filter3x3::BoxBlur)
}

/// A 3×3 sharpen of every channel (see [`sharpen_3x3`]), keeping the colour type; a
/// floating-point image is converted to `Rgba8` first.
pub fn sharpen_pixels(image: &DynamicImage) -> DynamicImage {
    map_integer_image(image, Filter3x3::Sharpen)
}

/// The image resized to exactly `width` × `height` with the triangle (bilinear) filter of
/// the `image` crate, keeping the colour type. Fails when a side is 0 or above
/// [`MAX_SIDE`].
///
/// Unlike the 3×3 filters this is the `image` crate's floating-point code: it is
/// deterministic, but bit-exact only between platforms that do not fuse multiply-adds
/// there (the `image` crate fuses them on aarch64 and on x86 built with `fma`).
pub fn resize_pixels(
    image: &DynamicImage,
    width: u32,
    height: u32,
) -> Result<DynamicImage, String> {
    check_size(width, height)?;
    Ok(image.resize_exact(width, height, FilterType::Triangle))
}

/// The image rotated by `quarter_turns` × 90° clockwise (`quarter_turns` is taken mod 4),
/// keeping the colour type.
pub fn rotate_pixels(image: &DynamicImage, quarter_turns: u32) -> DynamicImage {
    match quarter_turns % 4 {
        0 => image.clone(),
        1 => image.rotate90(),
        2 => image.rotate180(),
        _ => image.rotate270(),
    }
}

/// A 3×3 box blur with edges clamped, per channel, in integers: each output sample is
/// the sum of the 3×3 neighbourhood divided by 9, rounded half up (`(sum + 4) / 9`).
pub fn box_blur_3x3<P>(image: &ImageBuffer<P, Vec<P::Subpixel>>) -> ImageBuffer<P, Vec<P::Subpixel>>
where
    P: Pixel,
    P::Subpixel: Sample,
{
    let (width, height) = image.dimensions();
    let samples = box_blur_raw(
        image.as_raw(),
        width as usize,
        height as usize,
        P::CHANNEL_COUNT as usize,
    );
    ImageBuffer::from_raw(width, height, samples).expect("as many samples as the input")
}

/// A 3×3 sharpen with edges clamped, per channel, in integers: the kernel
/// `[0, -1, 0; -1, 5, -1; 0, -1, 0]`, clamped to the sample range.
pub fn sharpen_3x3<P>(image: &ImageBuffer<P, Vec<P::Subpixel>>) -> ImageBuffer<P, Vec<P::Subpixel>>
where
    P: Pixel,
    P::Subpixel: Sample,
{
    let (width, height) = image.dimensions();
    let samples = sharpen_raw(
        image.as_raw(),
        width as usize,
        height as usize,
        P::CHANNEL_COUNT as usize,
    );
    ImageBuffer::from_raw(width, height, samples).expect("as many samples as the input")
}

/// An integer sample type the 3×3 filters work on: `u8` or `u16`.
pub trait Sample: Copy + 'static {
    /// The largest value of a sample.
    const MAX: u32;
    /// The sample as a `u32`.
    fn to_u32(self) -> u32;
    /// A sample from a `u32` no larger than [`Sample::MAX`].
    fn from_u32(value: u32) -> Self;
    /// The sample reduced to 8 bits, rounding to nearest.
    fn to_u8(self) -> u8;
    /// `(sum + 4) / 9` for a sum of nine samples: the box blur's rounded mean, as a
    /// multiply and a shift (exact over that range; the tests check every value), which
    /// vectorises where a division by 9 does not.
    fn mean_of_nine(sum: u32) -> u32;
}

impl Sample for u8 {
    const MAX: u32 = u8::MAX as u32;
    #[inline(always)]
    fn to_u32(self) -> u32 {
        u32::from(self)
    }
    #[inline(always)]
    fn from_u32(value: u32) -> Self {
        value as u8
    }
    #[inline(always)]
    fn to_u8(self) -> u8 {
        self
    }
    #[inline(always)]
    fn mean_of_nine(sum: u32) -> u32 {
        // ⌈2¹⁶/9⌉ = 7282; exact for sums up to 9·255, and the product fits 32 bits.
        ((sum + 4) * 7282) >> 16
    }
}

impl Sample for u16 {
    const MAX: u32 = u16::MAX as u32;
    #[inline(always)]
    fn to_u32(self) -> u32 {
        u32::from(self)
    }
    #[inline(always)]
    fn from_u32(value: u32) -> Self {
        value as u16
    }
    #[inline(always)]
    fn to_u8(self) -> u8 {
        ((u32::from(self) + 128) / 257) as u8
    }
    #[inline(always)]
    fn mean_of_nine(sum: u32) -> u32 {
        // ⌈2³²/9⌉ = 477218589; exact for sums up to 9·65535.
        ((u64::from(sum + 4) * 477_218_589) >> 32) as u32
    }
}

/// Which 3×3 filter [`map_integer_image`] applies.
#[derive(Clone, Copy, Debug)]
enum Filter3x3 {
    BoxBlur,
    Sharpen,
}

/// Applies a 3×3 filter to an image of any colour type, keeping it when it is an integer
/// one and using `Rgba8` otherwise.
fn map_integer_image(image: &DynamicImage, filter: Filter3x3) -> DynamicImage {
    fn apply<P>(
        buffer: &ImageBuffer<P, Vec<P::Subpixel>>,
        filter: Filter3x3,
    ) -> ImageBuffer<P, Vec<P::Subpixel>>
    where
        P: Pixel,
        P::Subpixel: Sample,
    {
        match filter {
            Filter3x3::BoxBlur => box_blur_3x3(buffer),
            Filter3x3::Sharpen => sharpen_3x3(buffer),
        }
    }
    match image {
        DynamicImage::ImageLuma8(buffer) => DynamicImage::ImageLuma8(apply(buffer, filter)),
        DynamicImage::ImageLumaA8(buffer) => DynamicImage::ImageLumaA8(apply(buffer, filter)),
        DynamicImage::ImageRgb8(buffer) => DynamicImage::ImageRgb8(apply(buffer, filter)),
        DynamicImage::ImageRgba8(buffer) => DynamicImage::ImageRgba8(apply(buffer, filter)),
        DynamicImage::ImageLuma16(buffer) => DynamicImage::ImageLuma16(apply(buffer, filter)),
        DynamicImage::ImageLumaA16(buffer) => DynamicImage::ImageLumaA16(apply(buffer, filter)),
        DynamicImage::ImageRgb16(buffer) => DynamicImage::ImageRgb16(apply(buffer, filter)),
        DynamicImage::ImageRgba16(buffer) => DynamicImage::ImageRgba16(apply(buffer, filter)),
        other => DynamicImage::ImageRgba8(apply(&other.to_rgba8(), filter)),
    }
}

/// Grayscale samples: the first channel of every `channels`-sample pixel, in 8 bits.
fn gray_from<T: Sample>(samples: &[T], channels: usize) -> Vec<u8> {
    samples
        .chunks_exact(channels)
        .map(|pixel| pixel[0].to_u8())
        .collect()
}

/// Luma of every RGB(A) pixel of `channels` samples (Pillow's ITU-R 601 fixed point).
fn luma_from<T: Sample>(samples: &[T], channels: usize) -> Vec<u8> {
    samples
        .chunks_exact(channels)
        .map(|pixel| {
            let (r, g, b) = (pixel[0].to_u8(), pixel[1].to_u8(), pixel[2].to_u8());
            ((19595 * u32::from(r) + 38470 * u32::from(g) + 7471 * u32::from(b) + 32768) >> 16)
                as u8
        })
        .collect()
}

/// The 3×3 box blur on raw interleaved samples. Sums rows horizontally into a rolling
/// window of three rows, then adds the window vertically. Both passes run over whole
/// rows as zipped slices, with no index arithmetic in the loop, so they vectorise.
fn box_blur_raw<T: Sample>(src: &[T], width: usize, height: usize, channels: usize) -> Vec<T> {
    let row_len = width * channels;
    if row_len == 0 || height == 0 {
        return src.to_vec();
    }
    let row = |y: usize| &src[y * row_len..(y + 1) * row_len];
    let mut above = vec![0u32; row_len];
    let mut middle = vec![0u32; row_len];
    let mut below = vec![0u32; row_len];
    horizontal_sums(row(0), channels, &mut middle);
    above.copy_from_slice(&middle);
    horizontal_sums(row(1.min(height - 1)), channels, &mut below);

    let mut out = Vec::with_capacity(src.len());
    for y in 0..height {
        out.extend(
            above
                .iter()
                .zip(&middle)
                .zip(&below)
                .map(|((a, m), b)| T::from_u32(T::mean_of_nine(a + m + b))),
        );
        // Slide the window down one row; the last row is its own neighbour below.
        std::mem::swap(&mut above, &mut middle);
        std::mem::swap(&mut middle, &mut below);
        horizontal_sums(row((y + 2).min(height - 1)), channels, &mut below);
    }
    out
}

/// `sums[i]` = the sample at `i` plus its left and right neighbours in the same channel,
/// edges clamped.
fn horizontal_sums<T: Sample>(row: &[T], channels: usize, sums: &mut [u32]) {
    let len = row.len();
    if len == channels {
        // One pixel wide: both neighbours are the pixel itself.
        for (sum, &sample) in sums.iter_mut().zip(row) {
            *sum = 3 * sample.to_u32();
        }
        return;
    }
    let last = len - channels;
    for c in 0..channels {
        sums[c] = 2 * row[c].to_u32() + row[c + channels].to_u32();
        sums[last + c] = row[last + c - channels].to_u32() + 2 * row[last + c].to_u32();
    }
    // The interior: three views of the row, shifted by one pixel each.
    let (left, centre, right) = (
        &row[..last - channels],
        &row[channels..last],
        &row[2 * channels..],
    );
    for (((sum, &l), &m), &r) in sums[channels..last]
        .iter_mut()
        .zip(left)
        .zip(centre)
        .zip(right)
    {
        *sum = l.to_u32() + m.to_u32() + r.to_u32();
    }
}

/// The 3×3 sharpen on raw interleaved samples.
fn sharpen_raw<T: Sample>(src: &[T], width: usize, height: usize, channels: usize) -> Vec<T> {
    let row_len = width * channels;
    if row_len == 0 || height == 0 {
        return src.to_vec();
    }
    let row = |y: usize| &src[y * row_len..(y + 1) * row_len];
    let sharpen = |centre: T, up: T, down: T, left: T, right: T| {
        let value = 5 * centre.to_u32() as i32
            - up.to_u32() as i32
            - down.to_u32() as i32
            - left.to_u32() as i32
            - right.to_u32() as i32;
        T::from_u32(value.clamp(0, T::MAX as i32) as u32)
    };
    let mut out = Vec::with_capacity(src.len());
    for y in 0..height {
        let (up, mid, down) = (
            row(y.saturating_sub(1)),
            row(y),
            row((y + 1).min(height - 1)),
        );
        for i in 0..row_len {
            let left = if i >= channels {
                mid[i - channels]
            } else {
                mid[i]
            };
            let right = if i + channels < row_len {
                mid[i + channels]
            } else {
                mid[i]
            };
            out.push(sharpen(mid[i], up[i], down[i], left, right));
        }
    }
    out
}

/// Fails unless both sides are between 1 and [`MAX_SIDE`].
fn check_size(width: u32, height: u32) -> Result<(), String> {
    if (1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height) {
        Ok(())
    } else {
        Err(format!(
            "invalid size {width}×{height}: width and height must be between 1 and {MAX_SIDE}"
        ))
    }
}

/// `message` with its first letter in lower case unless it starts an acronym ("PNG").
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(message[first.len_utf8()..].chars())
            .collect(),
        _ => message.to_string(),
    }
}
