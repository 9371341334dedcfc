//! Unit tests of the image filters: hand-computed 3×3 filters, grayscale weights, errors,
//! colour types and dimensions.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Rgb, RgbImage, Rgba};

type Rgba16Image = ImageBuffer<Rgba<u16>, Vec<u16>>;

use super::*;

/// A 3×2 grayscale image whose filtered values were worked out by hand.
fn tiny() -> GrayImage {
    GrayImage::from_raw(3, 2, vec![0, 90, 180, 9, 0, 255]).unwrap()
}

fn png(image: &DynamicImage) -> Vec<u8> {
    encode_png(image).unwrap()
}

#[test]
fn box_blur_matches_hand_computation() {
    // (0, 0): rows 0, 0, 1 (top edge clamped), columns 0, 0, 1:
    // 2·(0 + 0 + 90) + (9 + 9 + 0) = 198, (198 + 4) / 9 = 22.
    let blurred = box_blur_3x3(&tiny());
    assert_eq!(blurred.as_raw(), &vec![22, 89, 157, 14, 89, 163]);
}

#[test]
fn sharpen_matches_hand_computation() {
    // (1, 0): 5·90 − 90 (up, clamped) − 0 (down) − 0 (left) − 180 (right) = 180.
    let sharpened = sharpen_3x3(&tiny());
    assert_eq!(sharpened.as_raw(), &vec![0, 180, 195, 27, 0, 255]);
}

#[test]
fn filters_leave_flat_and_single_pixel_images_alone() {
    let flat = RgbImage::from_pixel(5, 4, Rgb([10, 128, 250]));
    assert_eq!(box_blur_3x3(&flat), flat);
    assert_eq!(sharpen_3x3(&flat), flat);
    let one = GrayImage::from_pixel(1, 1, Luma([77]));
    assert_eq!(box_blur_3x3(&one), one);
    assert_eq!(sharpen_3x3(&one), one);
    let column = GrayImage::from_raw(1, 3, vec![0, 9, 90]).unwrap();
    // (0·6 + 9·3 + 4) / 9 = 3, (0·3 + 9·3 + 90·3 + 4) / 9 = 33, (9·3 + 90·6 + 4) / 9 = 63.
    assert_eq!(box_blur_3x3(&column).as_raw(), &vec![3, 33, 63]);
}

#[test]
fn box_blur_works_per_channel_in_16_bits() {
    let mut image = Rgba16Image::from_pixel(3, 3, Rgba([0, 65535, 1000, 65535]));
    image.put_pixel(1, 1, Rgba([9000, 0, 1000, 0]));
    let blurred = box_blur_3x3(&image);
    // Every neighbourhood holds the centre pixel once (clamped edges repeat others only).
    assert_eq!(blurred.get_pixel(1, 1), &Rgba([1000, 58253, 1000, 58253]));
    assert_eq!(blurred.get_pixel(0, 0), &Rgba([1000, 58253, 1000, 58253]));
}

#[test]
fn grayscale_uses_pillow_weights() {
    let colours = RgbImage::from_raw(
        5,
        1,
        vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 200, 30],
    )
    .unwrap();
    let gray = grayscale_pixels(&DynamicImage::ImageRgb8(colours));
    assert_eq!(gray.as_raw(), &vec![76, 150, 29, 255, 124]);
}

#[test]
fn grayscale_blur_output_is_the_pixel_pipeline_encoded() {
    let input = DynamicImage::ImageRgb8(crate::sample_images::sample_pixels(2, 48));
    let output = decode(&grayscale_blur(&png(&input)).unwrap()).unwrap();
    assert_eq!(
        output,
        DynamicImage::ImageLuma8(grayscale_blur_pixels(&input))
    );
}

#[test]
fn filters_keep_the_colour_type() {
    let input = DynamicImage::ImageRgba16(Rgba16Image::from_pixel(4, 3, Rgba([1, 2, 3, 4])));
    for output in [
        box_blur(&png(&input)),
        sharpen(&png(&input)),
        rotate(&png(&input), 1),
    ] {
        assert!(matches!(
            decode(&output.unwrap()).unwrap(),
            DynamicImage::ImageRgba16(_)
        ));
    }
    let gray = decode(&grayscale(&png(&input)).unwrap()).unwrap();
    assert!(matches!(gray, DynamicImage::ImageLuma8(_)));
}

#[test]
fn jpeg_input_is_accepted() {
    let input = crate::sample_images::sample_pixels(1, 32);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&input)
        .unwrap();
    let output = decode(&grayscale_blur(&jpeg).unwrap()).unwrap();
    assert_eq!((output.width(), output.height()), (32, 32));
}

#[test]
fn garbage_bytes_are_an_error() {
    for bytes in [
        &b"not an image at all"[..],
        &[],
        &[0x89, b'P', b'N', b'G', 0, 0],
    ] {
        let error = grayscale_blur(bytes).unwrap_err();
        assert!(error.starts_with("cannot decode image: "), "{error}");
        assert!(error.ends_with("; expected PNG or JPEG bytes"), "{error}");
    }
}

#[test]
fn rotate_turns_clockwise() {
    let bytes = png(&DynamicImage::ImageLuma8(tiny()));
    let turned = |quarter_turns| decode(&rotate(&bytes, quarter_turns).unwrap()).unwrap();
    assert_eq!((turned(0).width(), turned(0).height()), (3, 2));
    assert_eq!((turned(1).width(), turned(1).height()), (2, 3));
    assert_eq!((turned(2).width(), turned(2).height()), (3, 2));
    assert_eq!((turned(3).width(), turned(3).height()), (2, 3));
    // Clockwise: the bottom-left pixel (9) goes to the top left.
    assert_eq!(turned(1).to_luma8().as_raw(), &vec![9, 0, 0, 90, 255, 180]);
    assert_eq!(turned(5), turned(1));
    assert_eq!(turned(4), turned(0));
}

#[test]
fn resize_gives_the_requested_size() {
    let bytes = png(&DynamicImage::ImageRgb8(
        crate::sample_images::sample_pixels(0, 40),
    ));
    let resized = decode(&resize(&bytes, 17, 61).unwrap()).unwrap();
    assert_eq!((resized.width(), resized.height()), (17, 61));
    assert!(matches!(resized, DynamicImage::ImageRgb8(_)));
}

#[test]
fn resize_rejects_empty_and_huge_sizes() {
    let bytes = png(&DynamicImage::ImageLuma8(tiny()));
    for (width, height) in [(0, 10), (10, 0), (MAX_SIDE + 1, 1), (1, u32::MAX)] {
        let error = resize(&bytes, width, height).unwrap_err();
        assert!(error.starts_with("invalid size "), "{error}");
    }
    assert!(resize(&bytes, MAX_SIDE, 1).is_ok());
}

#[test]
fn error_messages_start_in_lower_case() {
    assert_eq!(lowercase_first("The format"), "the format");
    assert_eq!(lowercase_first("PNG error"), "PNG error");
    assert_eq!(lowercase_first(""), "");
}

#[test]
fn sample_type_conversions_round() {
    assert_eq!(<u16 as Sample>::to_u8(65535), 255);
    assert_eq!(<u16 as Sample>::to_u8(128), 0);
    assert_eq!(<u16 as Sample>::to_u8(129), 1);
    let image: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_pixel(1, 1, Luma([257 * 40]));
    assert_eq!(
        grayscale_pixels(&DynamicImage::ImageLuma16(image)).as_raw(),
        &vec![40]
    );
}

#[test]
fn mean_of_nine_is_the_rounded_division_over_every_sum() {
    for sum in 0..=9 * u32::from(u8::MAX) {
        assert_eq!(
            <u8 as Sample>::mean_of_nine(sum),
            (sum + 4) / 9,
            "u8 sum {sum}"
        );
    }
    for sum in 0..=9 * u32::from(u16::MAX) {
        assert_eq!(
            <u16 as Sample>::mean_of_nine(sum),
            (sum + 4) / 9,
            "u16 sum {sum}"
        );
    }
}

/// The box blur written the plain way, one neighbourhood per sample: the reference the
/// vectorised rows must match bit for bit.
fn naive_box_blur<T: Sample>(src: &[T], width: usize, height: usize, channels: usize) -> Vec<T> {
    let at = |x: usize, y: usize, c: usize| src[(y * width + x) * channels + c].to_u32();
    let mut out = Vec::with_capacity(src.len());
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let mut sum = 0;
                for ny in [y.saturating_sub(1), y, (y + 1).min(height - 1)] {
                    for nx in [x.saturating_sub(1), x, (x + 1).min(width - 1)] {
                        sum += at(nx, ny, c);
                    }
                }
                out.push(T::from_u32((sum + 4) / 9));
            }
        }
    }
    out
}

#[test]
fn box_blur_matches_the_naive_neighbourhood_sum() {
    let mut state = 0x2545_f491_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for (width, height) in [(1, 1), (1, 5), (2, 2), (3, 7), (17, 3), (64, 9), (130, 33)] {
        for channels in 1..=4 {
            let len = width * height * channels;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert_eq!(
                box_blur_raw(&bytes, width, height, channels),
                naive_box_blur(&bytes, width, height, channels),
                "u8 {width}x{height}x{channels}"
            );
            let words: Vec<u16> = (0..len).map(|_| next() as u16).collect();
            assert_eq!(
                box_blur_raw(&words, width, height, channels),
                naive_box_blur(&words, width, height, channels),
                "u16 {width}x{height}x{channels}"
            );
        }
    }
}
