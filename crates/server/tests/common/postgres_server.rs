//! A real PostgreSQL server (Debian's or Ubuntu's postgresql, the newest major version under
//! /usr/lib/postgresql) in a temporary directory on a free loopback
//! port, stopped and deleted when dropped.
//!
//! Tests run as root and `initdb` refuses root, so `initdb` and `postgres` run as the `postgres`
//! system user (`setpriv` execs in place, so the child is the postmaster itself). Durability is
//! off (`fsync`, `synchronous_commit`, `full_page_writes`): these databases are thrown away.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bin directory of the newest PostgreSQL installed (`/usr/lib/postgresql/<major>/bin`:
/// 15 on Debian 12, 14 / 16 on Ubuntu 22.04 / 24.04).
fn bin() -> PathBuf {
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL (installed by scripts/bootstrap.sh)")
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    majors.sort();
    majors
        .pop()
        .expect("no /usr/lib/postgresql/<major>/bin/initdb")
        .1
}
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PostgresServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `program` run as the `postgres` user when we are root (as ourselves otherwise).
fn as_postgres(program: &str, dir: &Path) -> Command {
    let exe = bin().join(program);
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
        ])
        .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    // Its own directory: the postgres user may not be allowed into ours.
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env_remove("PGDATA")
        .stdin(Stdio::null());
    cmd
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl PostgresServer {
    /// initdb + postgres on 127.0.0.1 (and a unix socket in the temporary directory); returns
    /// once the server accepts connections.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            std::os::unix::fs::chown(dir.path(), Some(uid("postgres")), Some(gid("postgres")))
                .expect("chown the temporary directory to postgres");
        }
        let data: PathBuf = dir.path().join("data");
        let mut initdb = as_postgres("initdb", dir.path())
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("initdb (PostgreSQL, installed by scripts/bootstrap.sh)");
        let status = wait_with_timeout(&mut initdb, START_TIMEOUT);
        if status.map(|s| s.success()) != Some(true) {
            let _ = initdb.kill();
            let out = initdb
                .wait_with_output()
                .map(|o| o.stderr)
                .unwrap_or_default();
            panic!("initdb failed: {}", String::from_utf8_lossy(&out));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_postgres("postgres", dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=50"])
            .args(["-c", "shared_buffers=32MB", "-c", "logging_collector=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres (PostgreSQL, installed by scripts/bootstrap.sh)");
        let mut server = PostgresServer {
            child: Some(child),
            port,
            dir,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ready = Command::new(bin().join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", "-d", "postgres", "-t", "1"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("postgres exited while starting: {status}");
                }
            }
            assert!(Instant::now() < deadline, "postgres did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL of `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops it: SIGQUIT (immediate shutdown, the postmaster takes its backends down), SIGKILL
    /// if that has not worked within 10 s.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            if wait_with_timeout(&mut child, Duration::from_secs(10)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn id_of(flag: &str, user: &str) -> u32 {
    let out = Command::new("id").args([flag, user]).output().unwrap();
    assert!(
        out.status.success(),
        "no {user} user (postgresql installed?)"
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn uid(user: &str) -> u32 {
    id_of("-u", user)
}

fn gid(user: &str) -> u32 {
    id_of("-g", user)
}
