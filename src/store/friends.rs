//! Friend requests, incoming and outgoing (which is which depends on who is signed in).

use herald_protocol::ipc::UiEvent;
use herald_protocol::wire::FriendRequest;
use yewdux::Store;

#[derive(Debug, Clone, PartialEq, Default, Store)]
pub struct FriendsState {
    pub requests: Vec<FriendRequest>,
}

impl FriendsState {
    /// Applies one core event. Pure.
    pub fn apply(mut self, ev: &UiEvent) -> Self {
        match ev {
            UiEvent::Reset(v) => self.requests = v.friend_requests.clone(),
            UiEvent::FriendRequestUpserted(f) => {
                match self.requests.iter_mut().find(|x| x.id == f.id) {
                    Some(x) => *x = (**f).clone(),
                    None => self.requests.insert(0, (**f).clone()),
                }
            }
            _ => {}
        }
        self
    }

    /// Requests sent to `me`, newest first.
    pub fn incoming(&self, me: &str) -> Vec<FriendRequest> {
        self.requests
            .iter()
            .filter(|r| r.to.id == me)
            .cloned()
            .collect()
    }

    /// Requests `me` sent, newest first.
    pub fn outgoing(&self, me: &str) -> Vec<FriendRequest> {
        self.requests
            .iter()
            .filter(|r| r.from.id == me)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;
    use herald_protocol::wire::FriendRequestStatus;

    #[test]
    fn friend_request_events() {
        let base = FriendsState::default().apply(&UiEvent::Reset(Box::new(view_state())));
        assert_eq!(base.incoming("alice").len(), 1);
        assert_eq!(base.outgoing("alice").len(), 1);
        let mut accepted = friend_requests()[0].clone();
        accepted.status = FriendRequestStatus::Accepted;
        let s = base
            .clone()
            .apply(&UiEvent::FriendRequestUpserted(Box::new(accepted)));
        assert_eq!(s.requests.len(), 2);
        assert_eq!(s.incoming("alice")[0].status, FriendRequestStatus::Accepted);
        let mut new = friend_requests()[0].clone();
        new.id = "f3".into();
        let s = base.apply(&UiEvent::FriendRequestUpserted(Box::new(new)));
        assert_eq!(s.requests[0].id, "f3");
    }
}
