//! Just enough WebDriver to drive Debian's headless Chromium through
//! `chromedriver`: WebDriver is plain HTTP and JSON, so a few requests with
//! hyper-util's client do; no browser is downloaded.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// How long any condition may take on a loaded machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The WebDriver id of an element.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Chromium and chromedriver are, or why the browser test cannot run.
pub fn find_browser() -> Result<(PathBuf, PathBuf), String> {
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            let path = Path::new("/usr/bin").join(name);
            path.exists().then_some(path)
        })
    };
    let chromium = find(&["chromium", "chromium-browser", "google-chrome"])
        .ok_or("Chromium is not installed (apt-get install chromium)")?;
    let driver = find(&["chromedriver"])
        .ok_or("chromedriver is not installed (apt-get install chromium-driver)")?;
    Ok((chromium, driver))
}

/// A running chromedriver with one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: Client<HttpConnector, Full<Bytes>>,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free local port, waits until it is ready,
    /// and opens a headless Chromium with a fresh profile.
    pub async fn start(chromium: &Path, driver: &Path) -> Browser {
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().unwrap().port()
        };
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let client = Client::builder(TokioExecutor::new()).build_http();
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            client,
            profile,
        };
        let started = Instant::now();
        loop {
            let ready = browser.request(Method::GET, "/status", None).await;
            if ready.is_ok_and(|status| status["value"]["ready"] == json!(true)) {
                break;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Without these flags Chromium tries the network at start, and this
        // machine (like CI) has none: it would stall.
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1100,1000".to_owned(),
            format!("--user-data-dir={}", browser.profile.path().display()),
        ];
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": chromium, "args": args },
            }}
        });
        let session = browser
            .request(Method::POST, "/session", Some(capabilities))
            .await
            .expect("a browser session");
        browser.session = session["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{status}: {}", value["value"]["message"]))
        }
    }

    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.session);
        self.request(method, &path, body)
            .await
            .map(|v| v["value"].clone())
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .expect("navigation");
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        let url = self
            .command(Method::GET, "/url", None)
            .await
            .expect("the URL");
        url.as_str().unwrap_or_default().to_owned()
    }

    async fn find_now(&self, css: &str) -> Result<String, String> {
        let found = self
            .command(
                Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await?;
        found[ELEMENT_KEY]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element id in {found}"))
    }

    /// Waits until an element matching `css` exists, and returns it.
    pub async fn find(&self, css: &str) -> Element<'_> {
        let started = Instant::now();
        loop {
            let error = match self.find_now(css).await {
                Ok(id) => return Element { browser: self, id },
                Err(error) => error,
            };
            assert!(
                started.elapsed() < DEADLINE,
                "no element matches {css} on {}: {error}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's text contains `text` (the page may be
    /// reloading meanwhile).
    pub async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        loop {
            if let Ok(body) = self.find_now("body").await {
                let element = Element {
                    browser: self,
                    id: body,
                };
                if element.text().await.is_some_and(|t| t.contains(text)) {
                    return;
                }
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the page never showed {text:?}: {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let png = self
            .command(Method::GET, "/screenshot", None)
            .await
            .expect("a screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 text"))
            .expect("valid base64");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Ends the browser session and stops chromedriver (dropping the
    /// [`Browser`] does the same, also when a test fails midway).
    pub async fn quit(self) {
        let _ = self.command(Method::DELETE, "", None).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Close Chromium through chromedriver first (killing chromedriver
        // alone would leave the browser running). Plain blocking I/O: Drop
        // cannot await, and a second DELETE after `quit` is harmless.
        if !self.session.is_empty() {
            let address = self.base.trim_start_matches("http://").to_owned();
            if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
                use std::io::{Read, Write};
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let request = format!(
                    "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
                    self.session
                );
                if stream.write_all(request.as_bytes()).is_ok() {
                    let _ = stream.read_to_end(&mut Vec::new());
                }
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// An element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    /// Types text into it.
    pub async fn type_text(&self, text: &str) {
        let path = format!("/element/{}/value", self.id);
        self.browser
            .command(Method::POST, &path, Some(json!({ "text": text })))
            .await
            .expect("typing");
    }

    /// Clicks it.
    pub async fn click(&self) {
        let path = format!("/element/{}/click", self.id);
        self.browser
            .command(Method::POST, &path, Some(json!({})))
            .await
            .expect("a click");
    }

    /// Its visible text, or `None` if it went away (the page changed).
    pub async fn text(&self) -> Option<String> {
        let path = format!("/element/{}/text", self.id);
        let text = self.browser.command(Method::GET, &path, None).await.ok()?;
        text.as_str().map(str::to_owned)
    }
}
