//! What a notice e-mail says, in English and French: a service active,
//! failed or closed; an organization suspended (why, and how to reach
//! Bibind), resumed or closed; someone who joined.

use super::mail::Letter;
use crate::domain::{Locale, NoticeKind};

/// What one notice letter names.
pub struct NoticeLetter<'a> {
    pub kind: NoticeKind,
    pub organization: &'a str,
    /// The service's offer, in the reader's language.
    pub offer: &'a str,
    /// Why Bibind acted, when it said.
    pub reason: Option<&'a str>,
    /// Who joined, as the invitation named them.
    pub member: &'a str,
    /// The organization's page in the portal.
    pub link: &'a str,
}

impl NoticeLetter<'_> {
    pub fn letter(&self, locale: Locale) -> Letter {
        let Self {
            organization,
            offer,
            member,
            link,
            ..
        } = self;
        let reason = |label: &str| {
            self.reason
                .map(|reason| format!("{label}{reason}\n\n"))
                .unwrap_or_default()
        };
        let (subject, lead) = match (self.kind, locale) {
            (NoticeKind::ServiceActive, Locale::En) => (
                format!("Your {offer} service for {organization} is ready"),
                format!("Your {offer} service for {organization} is set up and running.\n\n"),
            ),
            (NoticeKind::ServiceActive, Locale::Fr) => (
                format!("Votre service {offer} pour {organization} est prêt"),
                format!("Votre service {offer} pour {organization} est en place et fonctionne.\n\n"),
            ),
            (NoticeKind::ServiceFailed, Locale::En) => (
                format!("Setting up your {offer} service for {organization} failed"),
                format!(
                    "Setting up your {offer} service for {organization} failed. Bibind's team sees it in its console \
                     too; to talk about it, reply to this message.\n\n"
                ),
            ),
            (NoticeKind::ServiceFailed, Locale::Fr) => (
                format!("La mise en place de votre service {offer} pour {organization} a échoué"),
                format!(
                    "La mise en place de votre service {offer} pour {organization} a échoué. L'équipe de Bibind le \
                     voit aussi dans sa console ; pour en parler, répondez à ce message.\n\n"
                ),
            ),
            (NoticeKind::ServiceClosed, Locale::En) => (
                format!("Your {offer} service for {organization} is closed"),
                format!("Your {offer} service for {organization} is closed; nothing of it is left running.\n\n"),
            ),
            (NoticeKind::ServiceClosed, Locale::Fr) => (
                format!("Votre service {offer} pour {organization} est fermé"),
                format!("Votre service {offer} pour {organization} est fermé ; plus rien n'en tourne.\n\n"),
            ),
            (NoticeKind::OrganizationSuspended, Locale::En) => (
                format!("{organization} is suspended on Bibind"),
                format!(
                    "Bibind has suspended {organization}: its services are stopped and keep their data.\n\n{}\
                     To settle it or ask a question, reply to this message.\n\n",
                    reason("Why: ")
                ),
            ),
            (NoticeKind::OrganizationSuspended, Locale::Fr) => (
                format!("L'organisation {organization} est suspendue sur Bibind"),
                format!(
                    "Bibind a suspendu {organization} : ses services sont arrêtés et gardent leurs données.\n\n{}\
                     Pour régulariser la situation ou poser une question, répondez à ce message.\n\n",
                    reason("Motif : ")
                ),
            ),
            (NoticeKind::OrganizationResumed, Locale::En) => (
                format!("{organization} is active again on Bibind"),
                format!("Bibind has resumed {organization}: its services start again.\n\n{}", reason("Note: ")),
            ),
            (NoticeKind::OrganizationResumed, Locale::Fr) => (
                format!("L'organisation {organization} est de nouveau active sur Bibind"),
                format!("Bibind a rétabli {organization} : ses services redémarrent.\n\n{}", reason("Note : ")),
            ),
            (NoticeKind::OrganizationClosed, Locale::En) => (
                format!("{organization} is closed on Bibind"),
                format!(
                    "Bibind has closed {organization} and its services.\n\n{}To ask a question, reply to this message.\n\n",
                    reason("Why: ")
                ),
            ),
            (NoticeKind::OrganizationClosed, Locale::Fr) => (
                format!("L'organisation {organization} est fermée sur Bibind"),
                format!(
                    "Bibind a fermé {organization} et ses services.\n\n{}Pour poser une question, répondez à ce message.\n\n",
                    reason("Motif : ")
                ),
            ),
            (NoticeKind::MemberJoined, Locale::En) => (
                format!("{member} joined {organization}"),
                format!("{member} accepted the invitation and joined {organization}.\n\n"),
            ),
            (NoticeKind::BackupsFailing, Locale::En) => (
                format!("Backups of your {offer} service for {organization} are failing"),
                format!(
                    "The last three backups of your {offer} service for {organization} failed. Your service runs \
                     and the backups taken before are kept; Bibind's team sees the failures in its console and \
                     is on it. You can take a backup yourself from the service's backups page.\n\n"
                ),
            ),
            (NoticeKind::BackupsFailing, Locale::Fr) => (
                format!("Les sauvegardes de votre service {offer} pour {organization} échouent"),
                format!(
                    "Les trois dernières sauvegardes de votre service {offer} pour {organization} ont échoué. Votre \
                     service fonctionne et les sauvegardes déjà faites sont conservées ; l'équipe de Bibind voit \
                     ces échecs dans sa console et s'en occupe. Vous pouvez lancer une sauvegarde vous-même depuis \
                     la page des sauvegardes du service.\n\n"
                ),
            ),
            (NoticeKind::MemberJoined, Locale::Fr) => (
                format!("{member} a rejoint {organization}"),
                format!("{member} a accepté l'invitation et rejoint {organization}.\n\n"),
            ),
        };
        let (hello, see) = match locale {
            Locale::En => ("Hello,", "See it in your portal:"),
            Locale::Fr => ("Bonjour,", "Voir dans votre portail :"),
        };
        Letter {
            subject,
            body: format!("{hello}\n\n{lead}{see}\n{link}\n\nBibind\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(kind: NoticeKind, reason: Option<&str>) -> NoticeLetter<'_> {
        NoticeLetter {
            kind,
            organization: "Acme",
            offer: "IoT",
            reason,
            member: "paul@acme.fr",
            link: "https://portal/orgs/acme",
        }
    }

    #[test]
    fn a_suspension_says_why_and_how_to_reach_bibind_in_each_language() {
        let en = letter(NoticeKind::OrganizationSuspended, Some("Unpaid invoice")).letter(Locale::En);
        assert_eq!(en.subject, "Acme is suspended on Bibind");
        assert!(en.body.contains("Why: Unpaid invoice") && en.body.contains("reply to this message"));
        assert!(en.body.contains("https://portal/orgs/acme"));
        let fr = letter(NoticeKind::OrganizationSuspended, None).letter(Locale::Fr);
        assert!(fr.body.contains("Bibind a suspendu Acme") && !fr.body.contains("Motif"));
    }

    #[test]
    fn every_notice_has_its_own_subject_in_both_languages() {
        for locale in Locale::ALL {
            let subjects: std::collections::BTreeSet<_> = NoticeKind::ALL
                .into_iter()
                .map(|kind| letter(kind, None).letter(locale).subject)
                .collect();
            assert_eq!(subjects.len(), NoticeKind::ALL.len());
        }
        assert_eq!(
            letter(NoticeKind::ServiceActive, None).letter(Locale::Fr).subject,
            "Votre service IoT pour Acme est prêt"
        );
    }
}
