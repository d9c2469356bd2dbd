//! The shell store: what the app knows about the core it runs in.

use herald_protocol::ipc::{AppInfo, UiError, UiReply};
use yewdux::Store;

/// Whether the first round trip to the core is still under way, answered, or failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CoreStatus {
    #[default]
    Loading,
    Ready(AppInfo),
    Failed(UiError),
}

/// Shell state: the core's answer to `app_info`.
#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct ShellState {
    pub core: CoreStatus,
}

impl ShellState {
    /// Applies the answer to `app_info`. Pure, so tested natively.
    pub fn with_app_info_reply(mut self, reply: Result<UiReply, UiError>) -> Self {
        self.core = match reply {
            Ok(UiReply::AppInfo(info)) => CoreStatus::Ready(info),
            Ok(other) => CoreStatus::Failed(UiError::new(
                herald_protocol::ipc::ErrorCode::Internal,
                format!("unexpected reply to app_info: {other:?}"),
            )),
            Err(e) => CoreStatus::Failed(e),
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_protocol::ipc::ErrorCode;

    fn info() -> AppInfo {
        AppInfo {
            name: "Herald".into(),
            version: "0.1.0".into(),
            protocol: 1,
            tray: true,
        }
    }

    #[test]
    fn app_info_reply_marks_core_ready() {
        let s = ShellState::default().with_app_info_reply(Ok(UiReply::AppInfo(info())));
        assert_eq!(s.core, CoreStatus::Ready(info()));
    }

    #[test]
    fn error_reply_marks_core_failed_with_its_code() {
        let err = UiError::new(ErrorCode::Internal, "core not reachable");
        let s = ShellState::default().with_app_info_reply(Err(err.clone()));
        assert_eq!(s.core, CoreStatus::Failed(err));
    }

    #[test]
    fn unexpected_reply_is_a_failure_not_a_panic() {
        let s = ShellState::default().with_app_info_reply(Ok(UiReply::Ack));
        assert!(matches!(s.core, CoreStatus::Failed(e) if e.code == ErrorCode::Internal));
    }
}
