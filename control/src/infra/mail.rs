//! Outgoing e-mail: the portal's own messages (invitations) through the
//! platform's SMTP relay, in the language of whoever sends them (the
//! recipient may not have an account, hence no known language, yet).

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::{
    domain::{Locale, Role},
    Error, Result,
};

/// Sends mail through one SMTP relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

fn mail_error(detail: impl std::fmt::Display) -> Error {
    Error::Backend {
        backend: "smtp",
        detail: detail.to_string(),
    }
}

impl Mailer {
    /// A mailer for the relay at `host:port` (plain SMTP: a relay on the
    /// same network, as Kratos' courier uses), sending as `from`.
    pub fn smtp(address: &str, from: &str) -> Result<Self> {
        let (host, port) = address
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
            .ok_or_else(|| mail_error(format!("{address:?} is not host:port")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self {
            transport,
            from: from.parse().map_err(mail_error)?,
            reply_to: None,
        })
    }

    /// Replies go to `support` (the sender is a no-reply address).
    pub fn with_reply_to(self, support: &str) -> Result<Self> {
        Ok(Self {
            reply_to: Some(support.parse().map_err(mail_error)?),
            ..self
        })
    }

    pub async fn send(&self, to: &str, message: &Letter) -> Result<()> {
        let mut builder = Message::builder().from(self.from.clone());
        if let Some(support) = &self.reply_to {
            builder = builder.reply_to(support.clone());
        }
        let email = builder
            .to(to.parse().map_err(mail_error)?)
            .subject(&message.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(mail_error)?;
        self.transport.send(email).await.map_err(mail_error)?;
        Ok(())
    }
}

/// A message's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// What an invitation e-mail says.
pub struct InvitationLetter<'a> {
    pub organization: &'a str,
    pub inviter: &'a str,
    pub role: Role,
    pub link: &'a str,
    pub expires_on: &'a str,
}

fn role_name(role: Role, locale: Locale) -> &'static str {
    match (role, locale) {
        (Role::Owner, Locale::En) => "owner",
        (Role::Owner, Locale::Fr) => "propriétaire",
        (Role::Admin, Locale::En) => "administrator",
        (Role::Admin, Locale::Fr) => "administrateur",
        (Role::Member, Locale::En) => "member",
        (Role::Member, Locale::Fr) => "membre",
        (Role::Learner, Locale::En) => "learner",
        (Role::Learner, Locale::Fr) => "apprenant",
    }
}

impl InvitationLetter<'_> {
    pub fn letter(&self, locale: Locale) -> Letter {
        let role = role_name(self.role, locale);
        let Self {
            organization,
            inviter,
            link,
            expires_on,
            ..
        } = self;
        match locale {
            Locale::En => Letter {
                subject: format!("{inviter} invites you to {organization} on Bibind"),
                body: format!(
                    "Hello,\n\n{inviter} invites you to join {organization} on Bibind, with the role: {role}.\n\n\
                     Accept the invitation here (you can create your account on the way):\n{link}\n\n\
                     The link works once and until {expires_on}. If you did not expect it, ignore this message.\n\n\
                     Bibind\n"
                ),
            },
            Locale::Fr => Letter {
                subject: format!("{inviter} vous invite à rejoindre {organization} sur Bibind"),
                body: format!(
                    "Bonjour,\n\n{inviter} vous invite à rejoindre {organization} sur Bibind, avec le rôle : {role}.\n\n\
                     Acceptez l'invitation ici (vous pourrez créer votre compte au passage) :\n{link}\n\n\
                     Le lien ne sert qu'une fois, jusqu'au {expires_on}. Si vous ne l'attendiez pas, ignorez ce message.\n\n\
                     Bibind\n"
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_speak_the_inviters_language() {
        let letter = InvitationLetter {
            organization: "Acme",
            inviter: "ada@acme.fr",
            role: Role::Learner,
            link: "https://portal/invitations/abc",
            expires_on: "2026-12-03",
        };
        let fr = letter.letter(Locale::Fr);
        assert!(fr.subject.contains("vous invite à rejoindre Acme"));
        assert!(
            fr.body.contains("avec le rôle : apprenant")
                && fr.body.contains("https://portal/invitations/abc")
        );
        assert!(letter.letter(Locale::En).body.contains("with the role: learner"));
    }
}
