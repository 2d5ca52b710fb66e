//! Integration tests: one binary (see STYLE.md), one module per capability.

mod cli;
mod graduatorie;
mod profiling;
mod reprofile;

use incrocio::catalog::Catalog;
use incrocio::reference::Reference;

pub fn catalog() -> Catalog {
    Catalog::bundled(Reference::bundled()).expect("bundled models load")
}
