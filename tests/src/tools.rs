//! Where the tests find the tools `cargo xtask setup` installs and the binaries it builds.

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from(".."), PathBuf::from)
}

/// The Python of the test tools' venv (`$LEXSTREAM_VENV`, else `.venv` at the workspace root),
/// with boto3, moto and awslambdaric.
pub fn venv_python() -> PathBuf {
    std::env::var_os("LEXSTREAM_VENV")
        .map_or_else(|| workspace_root().join(".venv"), PathBuf::from)
        .join("bin/python3")
}

/// The `lex-fulfillment` Lambda binary as shipped (`$LEX_FULFILLMENT_BIN`, which `cargo xtask
/// test` sets after building it with the `lambda` profile); fails with a clear message when it
/// has not been built.
pub fn lex_fulfillment_binary() -> anyhow::Result<PathBuf> {
    let binary = std::env::var_os("LEX_FULFILLMENT_BIN").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace_root().join("target"), PathBuf::from);
        target.join("lambda/lex-fulfillment")
    });
    anyhow::ensure!(
        binary.is_file(),
        "{} is not built: run `cargo xtask test`, or `cargo build --profile lambda -p lex-fulfillment`",
        binary.display()
    );
    Ok(binary)
}
