//! Requests whose answers are read only up to a size, as they stream: a server that ignores
//! `limitBytes` (or sends a flood) costs at most that many bytes of memory, never the whole body.

use http_body_util::BodyExt;
use kube::core::Status;

/// A response body, as much of it as was read.
pub struct Answer {
    pub text: String,
    /// The body went on past the cap; what is here is its start.
    pub cut: bool,
}

/// Send `req` and read at most `cap` bytes of the body as it arrives; the rest is not read. A
/// 4xx/5xx answer is the API's `Status` (read from at most `cap` bytes), as kube reports it.
pub async fn request(client: &kube::Client, req: http::Request<Vec<u8>>, cap: usize) -> Result<Answer, kube::Error> {
    let res = client.send(req.map(kube::client::Body::from)).await?;
    let status = res.status();
    let mut body = res.into_body();
    let mut buf: Vec<u8> = Vec::new();
    let mut cut = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else { continue };
        let room = cap.saturating_sub(buf.len());
        if data.len() > room {
            buf.extend_from_slice(&data[..room]);
            cut = true;
            break;
        }
        buf.extend_from_slice(&data);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    if status.is_client_error() || status.is_server_error() {
        let status = serde_json::from_str::<Status>(&text)
            .unwrap_or_else(|_| Status::failure(text.trim(), "Failed to parse error data").with_code(status.as_u16()));
        return Err(kube::Error::Api(status.boxed()));
    }
    Ok(Answer { text, cut })
}
