//! Unit tests of the sample pictures.

use std::collections::HashSet;

use super::{sample_pixels, sample_png, write_sample_set};
use crate::image_filters::decode;

#[test]
fn pictures_are_deterministic_and_differ_by_index() {
    assert_eq!(sample_png(3, 64), sample_png(3, 64));
    assert_ne!(sample_pixels(3, 64), sample_pixels(4, 64));
}

#[test]
fn pictures_decode_to_square_rgb() {
    for size in [1, 2, 7, 64] {
        let image = decode(&sample_png(0, size)).unwrap();
        assert_eq!((image.width(), image.height()), (size, size));
        assert!(image.as_rgb8().is_some());
    }
}

#[test]
fn pictures_are_colourful() {
    for index in 0..8 {
        let image = sample_pixels(index, 128);
        let colours: HashSet<[u8; 3]> = image.pixels().map(|pixel| pixel.0).collect();
        assert!(
            colours.len() > 2000,
            "picture {index} has {} colours",
            colours.len()
        );
    }
}

#[test]
fn write_sample_set_names_the_files_in_order() {
    let dir = std::env::temp_dir().join(format!("wask-kernels-samples-{}", std::process::id()));
    let paths = write_sample_set(&dir, 3, 16).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|path| path.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["sample-00.png", "sample-01.png", "sample-02.png"]);
    assert_eq!(std::fs::read(&paths[2]).unwrap(), sample_png(2, 16));
    std::fs::remove_dir_all(&dir).unwrap();
}
