//! Guest task for seed case 3: image processing. A thin wrapper around
//! `wask_kernels::image_filters`, the same code the host runs natively.

use wask_kernels::image_filters;

wit_bindgen::generate!({
    path: "../../wit/image-filters.wit",
    world: "image-filters",
});

struct ImageFilters;

impl Guest for ImageFilters {
    fn grayscale_blur(image: Vec<u8>) -> Result<Vec<u8>, String> {
        image_filters::grayscale_blur(&image)
    }

    fn grayscale(image: Vec<u8>) -> Result<Vec<u8>, String> {
        image_filters::grayscale(&image)
    }

    fn box_blur(image: Vec<u8>) -> Result<Vec<u8>, String> {
        image_filters::box_blur(&image)
    }

    fn sharpen(image: Vec<u8>) -> Result<Vec<u8>, String> {
        image_filters::sharpen(&image)
    }

    fn resize(image: Vec<u8>, width: u32, height: u32) -> Result<Vec<u8>, String> {
        image_filters::resize(&image, width, height)
    }

    fn rotate(image: Vec<u8>, quarter_turns: u32) -> Result<Vec<u8>, String> {
        image_filters::rotate(&image, quarter_turns)
    }
}

export!(ImageFilters);
