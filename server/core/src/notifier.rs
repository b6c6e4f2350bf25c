//! The edge between the console and the channels people read: email (SMTP) and chat webhooks.
//! The core decides who hears what and fixes each message's bytes when it queues it; an
//! implementation of [`Notifier`] (in the server) only carries the message.

use crate::connector::DeliveryError;
use crate::domain::Channel;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One message to one person on one channel, exactly as every attempt sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// The outbox row's id: the email's `Message-ID` local part, the chat post's idempotency key.
    pub id: String,
    pub channel: Channel,
    /// The email address, or for chat the person's name (the post names them).
    pub to: String,
    pub to_name: String,
    pub subject: String,
    /// Plain text: what, for whom, by when, and the link.
    pub text: String,
    /// The page to open (absolute).
    pub link: String,
}

/// Which channels the operator configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelsConfigured {
    pub email: bool,
    pub slack: bool,
    pub teams: bool,
}

impl ChannelsConfigured {
    pub fn has(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::Slack => self.slack,
            Channel::Teams => self.teams,
        }
    }
}

#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    fn channels(&self) -> ChannelsConfigured;
    /// Sends one message; a temporary error is retried by the outbox, a permanent one
    /// dead-letters it.
    async fn send(&self, message: &OutgoingMessage) -> Result<(), DeliveryError>;
}
