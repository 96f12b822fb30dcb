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
    match std::env::var_os("LEX_FULFILLMENT_BIN").map(PathBuf::from) {
        Some(binary) => {
            anyhow::ensure!(binary.is_file(), "LEX_FULFILLMENT_BIN={} is not a file", binary.display());
            Ok(binary)
        }
        None => lambda_binary("lambda", "lex-fulfillment"),
    }
}

/// The Lambda binary `name` built with cargo profile `profile`, in the target directory
/// (`$CARGO_TARGET_DIR`, else `target/`); fails with the command that builds it when it is not
/// there.
pub fn lambda_binary(profile: &str, name: &str) -> anyhow::Result<PathBuf> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let binary = target.join(if profile == "dev" { "debug" } else { profile }).join(name);
    anyhow::ensure!(
        binary.is_file(),
        "{} is not built: run `cargo build --profile {profile} -p {name}` (or `cargo xtask test`, `cargo xtask bench coldstart`)",
        binary.display()
    );
    Ok(binary)
}
