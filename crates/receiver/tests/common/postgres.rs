//! A private PostgreSQL cluster for the tests and the load bench: `initdb`
//! and `pg_ctl` in a temporary directory, listening on a free port of
//! 127.0.0.1 only, as an unprivileged user, stopped when the test process
//! ends (normally, by a panic, or even by `SIGKILL`).
//!
//! ```ignore
//! let Some(db) = postgres::database() else { return }; // skipped, loudly
//! let url = db.url();                                   // its own database
//! ```
//!
//! Finding the server: `PG_BINDIR` if set (and then only there), else
//! `pg_config --bindir`, the newest `/usr/lib/postgresql/*/bin`, `PATH`.
//! Without it the tests print `SKIPPED: PostgreSQL server not installed
//! (apt-get install postgresql)` (even when the harness captures output)
//! and return, except under `CI=true`, where a missing server fails them.
//!
//! Running as root (CI does), `initdb` refuses to run: the cluster then
//! belongs to the `postgres` system user (created if missing), and every
//! server command runs through `runuser -u postgres --`.
//!
//! One cluster per test process, started by the first test that asks and
//! shared by the others, each of which gets a database of its own. A process
//! cannot run destructors of statics, so the stop is a watchdog's job: a
//! small shell started beside the cluster waits for end-of-file on a pipe
//! whose only writer is the test process; when the process ends, however it
//! ends, the kernel closes the pipe and the watchdog runs
//! `pg_ctl stop -m immediate` and deletes the directory. A [`Cluster`] owned
//! by a value ([`Cluster::start`]) also stops on drop.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// What to say when the server is missing.
pub const SKIP_MESSAGE: &str =
    "SKIPPED: PostgreSQL server not installed (apt-get install postgresql)";

/// Options of a cluster.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// `fsync=on`: what a production server does. Off for tests (the tests
    /// kill receivers, never the database server), on for the bench.
    pub fsync: bool,
    /// `max_connections`.
    pub max_connections: u32,
    /// Serve TLS only (a fresh CA and a certificate for 127.0.0.1, see
    /// [`Cluster::tls_root`]); connections without TLS are refused.
    pub tls_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: false,
            max_connections: 300,
            tls_only: false,
        }
    }
}

/// A running private cluster.
#[derive(Debug)]
pub struct Cluster {
    bindir: PathBuf,
    /// The temporary directory (data and socket), removed at the end.
    dir: PathBuf,
    port: u16,
    /// `Some` when commands run through `runuser -u postgres --`.
    run_as: Option<String>,
    /// Holding it keeps the watchdog waiting; dropping it stops the cluster.
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
    databases: AtomicUsize,
}

/// A database of its own for one test.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    name: String,
    port: u16,
}

impl TestDatabase {
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The server binaries (a directory holding `initdb`, `pg_ctl`, `postgres`),
/// or `None`.
pub fn find_bindir() -> Option<PathBuf> {
    let usable = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|bin| dir.join(bin).is_file())
    };
    let mut candidates: Vec<PathBuf> = Vec::new();
    // Set, it is the only place looked at (and a way to see the skip).
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return usable(&dir).then_some(dir);
    }
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        && out.status.success()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        candidates.push(PathBuf::from(text.trim()));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, e.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versions.into_iter().map(|(_, dir)| dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates.into_iter().find(|dir| usable(dir))
}

/// Whether this process runs as root (initdb refuses root).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Makes sure the `postgres` system user exists; returns its uid and gid.
fn postgres_user() -> Result<(u32, u32), String> {
    let lookup = || -> Option<(u32, u32)> {
        let id = |flag: &str| -> Option<u32> {
            let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
            if !out.status.success() {
                return None;
            }
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        };
        Some((id("-u")?, id("-g")?))
    };
    if let Some(ids) = lookup() {
        return Ok(ids);
    }
    let status = Command::new("useradd")
        .args(["--system", "--user-group", "--no-create-home"])
        .args(["--shell", "/usr/sbin/nologin", "postgres"])
        .status()
        .map_err(|e| format!("useradd postgres: {e}"))?;
    if !status.success() {
        return Err(format!("useradd postgres: {status}"));
    }
    lookup().ok_or_else(|| "the postgres user is still missing after useradd".into())
}

/// Fails the test under `CI=true`, otherwise prints the skip message.
/// Returns `None` so callers can `let Some(x) = … else { return }`.
pub fn skip<T>() -> Option<T> {
    skip_because(SKIP_MESSAGE)
}

/// [`skip`] with another message.
pub fn skip_because<T>(message: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true, where a missing server fails the tests: {message}");
    }
    // Straight to the process's stderr: the test harness captures
    // `eprintln!` of passing tests, and a skip must be seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("\n*** {message} ***\n").as_bytes(),
    );
    None
}

/// A free port on 127.0.0.1 (free now; [`Cluster::start`] retries if another
/// process takes it before the server binds it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Cluster {
    /// Starts a new private cluster, or `None` (after [`skip`]) when the
    /// server is not installed. Panics when it is installed but fails.
    pub fn start(options: Options) -> Option<Cluster> {
        let Some(bindir) = find_bindir() else {
            return skip();
        };
        if options.tls_only && Command::new("openssl").arg("version").output().is_err() {
            return skip_because("SKIPPED: openssl not installed (apt-get install openssl)");
        }
        let run_as = if is_root() {
            Some("postgres".to_owned())
        } else {
            None
        };
        // As root, /tmp itself: the postgres user must be able to reach the
        // directory, and a TMPDIR under root's home would not let it.
        let parent = if run_as.is_some() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = parent.join(format!("hotmart-pg-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("create the cluster directory");
        if run_as.is_some() {
            let (uid, gid) = postgres_user().expect("the postgres user");
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the cluster dir");
        }
        let cluster = Cluster {
            bindir,
            dir,
            port: 0,
            run_as,
            watchdog: Mutex::new(None),
            databases: AtomicUsize::new(0),
        };
        // From here on, dropping `cluster` removes the directory.
        let mut cluster = cluster;
        cluster.arm_watchdog();
        let data = cluster.data_dir();
        cluster.run_ok(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        let tls = if options.tls_only {
            cluster.setup_tls()
        } else {
            String::new()
        };
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let settings = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
                 -c fsync={} -c max_connections={} -c shared_buffers=32MB{tls}",
                cluster.dir.display(),
                if options.fsync { "on" } else { "off" },
                options.max_connections,
            );
            let log = cluster.dir.join("server.log");
            let out = cluster.run(
                "pg_ctl",
                &[
                    "start".as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "120".as_ref(),
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    settings.as_ref(),
                ],
            );
            if out.status.success() {
                cluster.port = port;
                return Some(cluster);
            }
            last_error = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("pg_ctl start failed five times:\n{last_error}");
    }

    /// Makes a CA and a server certificate for 127.0.0.1 (openssl), lets
    /// only TLS connections in over TCP, and returns the server settings.
    fn setup_tls(&self) -> String {
        let dir = self.dir.join("tls");
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .expect("openssl (needed for the TLS test)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let days = ["-days", "2"];
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=hotmart-test-ca",
            days[0],
            days[1],
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-extfile",
            "ext.cnf",
            days[0],
            days[1],
        ]);
        // The server refuses a key others can read, or that it does not own.
        let key = dir.join("server.key");
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        if self.run_as.is_some() {
            let (uid, gid) = postgres_user().expect("the postgres user");
            for file in ["server.key", "server.pem"] {
                std::os::unix::fs::chown(dir.join(file), Some(uid), Some(gid)).unwrap();
            }
        }
        let hba = self.data_dir().join("pg_hba.conf");
        std::fs::write(
            &hba,
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        format!(
            " -c ssl=on -c ssl_cert_file='{}' -c ssl_key_file='{}'",
            dir.join("server.pem").display(),
            key.display()
        )
    }

    /// The CA that signed the server's certificate (with
    /// [`Options::tls_only`]).
    pub fn tls_root(&self) -> PathBuf {
        self.dir.join("tls/ca.pem")
    }

    /// The data directory.
    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database for one test.
    pub fn database(&self) -> TestDatabase {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{n}");
        let port = self.port.to_string();
        self.run_ok(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                name.as_ref(),
            ],
        );
        TestDatabase {
            name,
            port: self.port,
        }
    }

    /// The command line for a server binary, as the cluster's owner.
    fn command(&self, bin: &str) -> Command {
        let program = self.bindir.join(bin);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(program);
                cmd
            }
            None => Command::new(program),
        };
        // The server's own directory as working directory: runuser keeps the
        // caller's, which the postgres user may not be allowed to read.
        cmd.current_dir(&self.dir).stdin(Stdio::null());
        cmd
    }

    fn run(&self, bin: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
        // `createdb` may be in PATH rather than beside the server (client
        // package): fall back to the name alone.
        let mut cmd = if self.bindir.join(bin).is_file() {
            self.command(bin)
        } else {
            let mut cmd = Command::new(bin);
            cmd.stdin(Stdio::null());
            cmd
        };
        cmd.args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
    }

    fn run_ok(&self, bin: &str, args: &[&std::ffi::OsStr]) {
        let out = self.run(bin, args);
        assert!(
            out.status.success(),
            "{bin} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The shell line that stops the server at once and removes the
    /// directory.
    fn stop_script(&self) -> String {
        let pg_ctl = shell_quote(&self.bindir.join("pg_ctl"));
        let data = shell_quote(&self.data_dir());
        let dir = shell_quote(&self.dir);
        let prefix = match &self.run_as {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        format!(
            "cd / ; if [ -f {data}/postmaster.pid ]; then {prefix}{pg_ctl} stop -D {data} -m immediate -w >/dev/null 2>&1; fi; rm -rf {dir}"
        )
    }

    /// Starts the watchdog: a shell that waits for end-of-file on its stdin
    /// (this process holds the only writer), then runs [`Self::stop_script`].
    fn arm_watchdog(&mut self) {
        let script = format!("cat >/dev/null; {}", self.stop_script());
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C to the tests must not kill it
            // before it has cleaned up.
            .process_group(0)
            .spawn()
            .expect("start the cluster's watchdog");
        let stdin = child.stdin.take().expect("the watchdog's stdin");
        *self.watchdog.lock().unwrap() = Some((child, stdin));
    }

    /// Restarts the server (`-m fast`: sessions are ended, as in a
    /// maintenance restart), same port and settings; returns once it
    /// accepts connections again.
    pub fn restart(&self) {
        let data = self.data_dir();
        let log = self.dir.join("server.log");
        self.run_ok(
            "pg_ctl",
            &[
                "restart".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
            ],
        );
    }

    /// Stops the server now (`-m immediate`) and removes its directory.
    pub fn stop(&self) {
        let taken = self
            .watchdog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((mut child, stdin)) = taken {
            // Closing the pipe is the watchdog's signal; wait for its work.
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

use std::os::unix::process::CommandExt as _;

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The cluster shared by the tests of this process: started by the first
/// caller, stopped by its watchdog when the process ends. `None` (after
/// [`skip`]) when the server is not installed.
pub fn shared() -> Option<&'static Cluster> {
    static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            find_bindir()?;
            Cluster::start(Options::default())
        })
        .as_ref()
        .or_else(skip)
}

/// A new database on the shared cluster, or `None` (after [`skip`]).
pub fn database() -> Option<TestDatabase> {
    shared().map(Cluster::database)
}
