//! The README's code comes from the example crates: every ```rust block
//! starts with `// From <file>`, and each of its lines, except `// …`
//! elisions, must be a line of that file, so an edit to an example that the
//! README does not follow fails here.

use std::path::Path;

fn rust_blocks(readme: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```rust") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => block.push(line),
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_readme_snippet_is_taken_from_the_file_it_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = rust_blocks(&readme);
    assert!(blocks.len() >= 4, "found {} rust blocks", blocks.len());
    for block in blocks {
        let source = block
            .first()
            .and_then(|l| l.strip_prefix("// From "))
            .unwrap_or_else(|| panic!("a README snippet does not name its file: {block:?}"));
        let text =
            std::fs::read_to_string(root.join(source)).unwrap_or_else(|e| panic!("{source}: {e}"));
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        for line in &block[1..] {
            if line.is_empty() || line.trim_start() == "// …" {
                continue;
            }
            assert!(lines.contains(line), "README line not in {source}:\n{line}");
        }
    }
}

#[test]
fn the_two_command_header_stays_at_the_top() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.starts_with("# hotmart-webhook\n\n```sh\n"));
    assert!(readme.contains("cargo test --workspace --all-features --locked\n```\n"));
}
