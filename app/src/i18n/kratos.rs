//! Kratos' messages in the portal's languages, by message id (Kratos v1.3.1,
//! `text/id.go`, listed in `kratos_ids.rs`). Both languages are ours: every
//! id the configured methods can show has a French and an English text here
//! (a test holds the table to the list); Kratos' own English is only the
//! fallback for an id this table does not know.

use control::domain::UiText;

use super::{Locale, Msg};

/// A Kratos message in `locale`, placeholders filled from its context.
pub fn kratos_text(locale: Locale, text: &UiText) -> String {
    match ours(text) {
        Some(both) => match locale {
            Locale::Fr => both.fr,
            Locale::En => both.en,
        },
        None => text.text.clone(),
    }
}

/// One message in both languages.
struct Both {
    fr: String,
    en: String,
}

fn ours(text: &UiText) -> Option<Both> {
    let ctx = |key: &str| text.context_value(key).unwrap_or_default();
    let both = |fr: String, en: String| Some(Both { fr, en });
    let fixed = |fr: &str, en: &str| both(fr.to_owned(), en.to_owned());
    // Secrets and codes Kratos shows as text: the same in every language.
    let data = || fixed(&text.text, &text.text);
    let field = |locale: Locale| field_name(locale, &ctx("property"));
    let code_invalid = || {
        fixed(
            "Ce code n'est pas valide ou a déjà été utilisé. Réessayez.",
            "This code is not valid or has already been used. Please try again.",
        )
    };
    let expired = || {
        fixed(
            "Le formulaire a expiré : nous en avons ouvert un nouveau, recommencez.",
            "The form expired: we opened a new one, please start again.",
        )
    };
    let no_strategy = || {
        fixed(
            "Cette demande n'a pas pu être traitée : vérifiez le formulaire et réessayez.",
            "This request could not be handled: check the form and try again.",
        )
    };
    let already_done = || {
        fixed(
            "Cette demande a déjà abouti et ne peut pas être refaite.",
            "This request was already completed and cannot be repeated.",
        )
    };
    match text.id {
        // Sign-in.
        1010001 => fixed("Se connecter", "Sign in"),
        1010003 => fixed(
            "Confirmez qu'il s'agit bien de vous pour continuer.",
            "Please confirm it is you to continue.",
        ),
        1010004 => fixed(
            "Terminez la seconde étape d'authentification.",
            "Please complete the second authentication step.",
        ),
        1010005 => fixed("Vérifier", "Verify"),
        1010006 => fixed("Code d'authentification", "Authentication code"),
        1010007 => fixed("Code de secours", "Backup recovery code"),
        1010009 => fixed("Utiliser l'application d'authentification", "Use the authenticator app"),
        1010010 => fixed("Utiliser un code de secours", "Use a backup recovery code"),
        1010013 | 1040003 | 1070009 => fixed("Continuer", "Continue"),
        1010021 => fixed("Se connecter avec une clé d'accès", "Sign in with a passkey"),
        1010022 => fixed("Se connecter avec un mot de passe", "Sign in with a password"),
        // Sign-up.
        1040001 => fixed("Créer un compte", "Sign up"),
        1040007 => fixed("S'inscrire avec une clé d'accès", "Sign up with a passkey"),
        1040008 => fixed("Retour", "Back"),
        1040009 => fixed(
            "Choisissez comment vous authentifier.",
            "Choose how you will sign in.",
        ),
        // Settings.
        1050001 => fixed("Vos modifications ont été enregistrées.", "Your changes have been saved."),
        1050004 => fixed(
            "Retirer l'application d'authentification",
            "Remove the authenticator app",
        ),
        1050005 => fixed(
            "QR code pour l'application d'authentification",
            "QR code for the authenticator app",
        ),
        1050006 | 1050009 | 1050015 => data(),
        1050007 => fixed("Afficher les codes de secours", "Show backup recovery codes"),
        1050008 => fixed(
            "Générer de nouveaux codes de secours",
            "Generate new backup recovery codes",
        ),
        1050010 => fixed(
            "Voici vos codes de secours. Gardez-les en lieu sûr !",
            "These are your backup recovery codes. Keep them in a safe place!",
        ),
        1050011 => fixed("Confirmer les codes de secours", "Confirm backup recovery codes"),
        1050013 => fixed("Nom de la clé de sécurité", "Name of the security key"),
        1050014 => both(
            format!("Code utilisé le {}", ctx("used_at")),
            format!("Code used on {}", ctx("used_at")),
        ),
        1050016 => fixed("Désactiver cette méthode", "Turn this method off"),
        1050017 => fixed(
            "Voici la clé secrète de votre application d'authentification. Utilisez-la si vous ne pouvez pas scanner le QR code.",
            "This is your authenticator app's secret key. Use it if you cannot scan the QR code.",
        ),
        1050018 => both(
            format!("Retirer la clé de sécurité « {} »", ctx("display_name")),
            format!("Remove the security key “{}”", ctx("display_name")),
        ),
        1050019 => fixed("Ajouter une clé d'accès", "Add a passkey"),
        1050020 => both(
            format!("Retirer la clé d'accès « {} »", ctx("display_name")),
            format!("Remove the passkey “{}”", ctx("display_name")),
        ),
        // Recovery. Kratos' English counts the minutes left when it wrote the
        // message, which is stale by the time it is read: say "soon".
        1060001 => fixed(
            "Votre compte est récupéré. Choisissez dès maintenant un nouveau mot de passe : cette possibilité expire dans quelques minutes.",
            "Your account is recovered. Choose a new password now: this chance expires in a few minutes.",
        ),
        1060003 => fixed(
            "Un e-mail contenant un code de récupération a été envoyé à l'adresse indiquée. Si vous ne le recevez pas, vérifiez l'orthographe de l'adresse et qu'il s'agit bien de celle de votre compte.",
            "An e-mail with a recovery code has been sent to the address you gave. If it does not arrive, check the spelling of the address and that it is the one of your account.",
        ),
        // Field and button labels.
        1070001 => fixed("Mot de passe", "Password"),
        1070002 => match schema_title_msg(&ctx("title")) {
            Some(msg) => fixed(msg.text(Locale::Fr), msg.text(Locale::En)),
            None => data(),
        },
        1070003 => fixed("Enregistrer", "Save"),
        1070004 | 1070007 => fixed("Adresse e-mail", "E-mail address"),
        1070005 => fixed("Envoyer", "Submit"),
        1070006 => fixed("Vérifier le code", "Verify the code"),
        1070008 => fixed("Renvoyer le code", "Send the code again"),
        1070010 => fixed("Code de récupération", "Recovery code"),
        1070011 => fixed("Code de vérification", "Verification code"),
        // Verification.
        1080002 => fixed("Votre adresse e-mail est vérifiée.", "Your e-mail address is verified."),
        1080003 => fixed(
            "Un e-mail contenant un code de vérification a été envoyé à l'adresse indiquée. Si vous ne le recevez pas, vérifiez l'orthographe de l'adresse et qu'il s'agit bien de celle de votre compte.",
            "An e-mail with a verification code has been sent to the address you gave. If it does not arrive, check the spelling of the address and that it is the one of your account.",
        ),
        // Validation of what was typed. Kratos' reason (4000001, 4000005) is
        // English only: shown inside our own sentence.
        4000001 => both(
            format!("Saisie refusée : {}", ctx("reason")),
            format!("Input refused: {}", ctx("reason")),
        ),
        4000002 => both(
            format!("Le champ « {} » est obligatoire.", field(Locale::Fr)),
            format!("The field “{}” is required.", field(Locale::En)),
        ),
        4000003 => both(
            format!(
                "Au moins {} caractères sont nécessaires ({} saisis).",
                ctx("min_length"),
                ctx("actual_length")
            ),
            format!(
                "At least {} characters are needed ({} given).",
                ctx("min_length"),
                ctx("actual_length")
            ),
        ),
        4000004 => fixed("Ce format n'est pas valide.", "This format is not valid."),
        4000005 => both(
            format!("Ce mot de passe ne peut pas être utilisé : {}.", ctx("reason")),
            format!("This password cannot be used: {}.", ctx("reason")),
        ),
        4000006 => fixed(
            "Identifiants incorrects : vérifiez l'orthographe de votre adresse e-mail et de votre mot de passe.",
            "Wrong credentials: check the spelling of your e-mail address and password.",
        ),
        4000007 | 4000028 => fixed(
            "Un compte existe déjà avec cette adresse e-mail.",
            "An account already exists with this e-mail address.",
        ),
        4000008 => fixed(
            "Ce code d'authentification n'est pas valide, réessayez.",
            "This authentication code is not valid, please try again.",
        ),
        4000009 => fixed(
            "Saisissez votre adresse e-mail.",
            "Please enter your e-mail address.",
        ),
        4000010 => fixed(
            "Compte pas encore actif : avez-vous vérifié votre adresse e-mail ?",
            "Account not active yet: have you verified your e-mail address?",
        ),
        4000011 => fixed(
            "Aucune application d'authentification n'est configurée sur ce compte.",
            "No authenticator app is set up on this account.",
        ),
        4000012 => fixed(
            "Ce code de secours a déjà été utilisé.",
            "This backup recovery code has already been used.",
        ),
        4000013 => fixed(
            "Aucune clé d'accès n'est enregistrée sur ce compte.",
            "No passkey is registered on this account.",
        ),
        4000014 => fixed(
            "Aucun code de secours n'est configuré sur ce compte.",
            "No backup recovery codes are set up on this account.",
        ),
        4000015 => fixed(
            "Ce compte n'existe pas ou n'a pas de clé d'accès.",
            "This account does not exist or has no passkey.",
        ),
        4000016 => fixed(
            "Ce code de secours n'est pas valide.",
            "This backup recovery code is not valid.",
        ),
        4000017 => both(
            format!("Au plus {} caractères sont permis ({} saisis).", ctx("max_length"), ctx("actual_length")),
            format!("At most {} characters are allowed ({} given).", ctx("max_length"), ctx("actual_length")),
        ),
        4000018 => both(
            format!("La valeur doit être au moins {}.", ctx("minimum")),
            format!("The value must be at least {}.", ctx("minimum")),
        ),
        4000019 => both(
            format!("La valeur doit être supérieure à {}.", ctx("minimum")),
            format!("The value must be greater than {}.", ctx("minimum")),
        ),
        4000020 => both(
            format!("La valeur doit être au plus {}.", ctx("maximum")),
            format!("The value must be at most {}.", ctx("maximum")),
        ),
        4000021 => both(
            format!("La valeur doit être inférieure à {}.", ctx("maximum")),
            format!("The value must be less than {}.", ctx("maximum")),
        ),
        4000022 => both(
            format!("La valeur doit être un multiple de {}.", ctx("base")),
            format!("The value must be a multiple of {}.", ctx("base")),
        ),
        4000023 => both(
            format!("Au plus {} éléments sont permis.", ctx("max_items")),
            format!("At most {} items are allowed.", ctx("max_items")),
        ),
        4000024 => both(
            format!("Au moins {} éléments sont nécessaires.", ctx("min_items")),
            format!("At least {} items are needed.", ctx("min_items")),
        ),
        4000025 => fixed(
            "Les éléments doivent être tous différents.",
            "The items must all be different.",
        ),
        4000026 | 4000029 | 4000030 => fixed(
            "Cette valeur n'est pas acceptée.",
            "This value is not accepted.",
        ),
        4000031 => fixed(
            "Ce mot de passe ressemble trop à votre adresse e-mail.",
            "This password is too similar to your e-mail address.",
        ),
        4000032 => both(
            format!(
                "Le mot de passe doit compter au moins {} caractères ({} saisis).",
                ctx("min_length"),
                ctx("actual_length")
            ),
            format!(
                "The password must be at least {} characters long ({} given).",
                ctx("min_length"),
                ctx("actual_length")
            ),
        ),
        4000033 => both(
            format!("Le mot de passe doit compter au plus {} caractères.", ctx("max_length")),
            format!("The password must be at most {} characters long.", ctx("max_length")),
        ),
        4000034 => fixed(
            "Ce mot de passe figure dans des fuites de données : choisissez-en un autre.",
            "This password appears in data breaches: please choose another one.",
        ),
        // Flows.
        4010001 | 4040001 | 4050001 | 4060005 | 4070005 => expired(),
        4010002..=4010006 => no_strategy(),
        4010008 | 4040003 | 4060006 | 4070006 => code_invalid(),
        4060001 | 4070002 => already_done(),
        4060004 | 4070001 => fixed(
            "Ce lien n'est pas valide ou a déjà été utilisé. Recommencez.",
            "This link is not valid or has already been used. Please start again.",
        ),
        4060002 | 4070003 => fixed(
            "Cette procédure a échoué et doit être recommencée.",
            "This procedure failed and must be started again.",
        ),
        // Kratos v1.3.1 sends it only when a code flow was replaced by a new one.
        5000001 => fixed(
            "Une erreur est survenue : recommencez avec le nouveau formulaire.",
            "Something went wrong: please start again with the new form.",
        ),
        _ => None,
    }
}

/// Kratos labels a trait's input with the title in `identity.schema.json`
/// (English): the portal's own words for those it knows.
fn schema_title_msg(title: &str) -> Option<Msg> {
    match title {
        "E-mail" => Some(Msg::FieldEmail),
        "First name" => Some(Msg::FieldFirstName),
        "Last name" => Some(Msg::FieldLastName),
        "Preferred language" => Some(Msg::FieldLocale),
        _ => None,
    }
}

/// Kratos names fields by their JSON path (`traits.email`): say it in words.
fn field_name(locale: Locale, property: &str) -> String {
    field_msg(property)
        .map(|m| m.text(locale).to_owned())
        .unwrap_or_else(|| property.to_owned())
}

/// The portal's own label for a Kratos input, when it has one.
pub fn field_msg(name: &str) -> Option<Msg> {
    match name {
        "traits.email" | "identifier" | "email" | "email_address" => Some(Msg::FieldEmail),
        "traits.name.first" | "first" => Some(Msg::FieldFirstName),
        "traits.name.last" | "last" => Some(Msg::FieldLastName),
        "traits.locale" | "locale" => Some(Msg::FieldLocale),
        "password" => Some(Msg::FieldPassword),
        _ => None,
    }
}

/// The ids of Kratos v1.3.1, which the tests hold this table to.
#[cfg(test)]
#[path = "kratos_ids.rs"]
mod ids;

#[cfg(test)]
mod tests {
    use super::*;

    fn text(id: u64, english: &str, context: serde_json::Value) -> UiText {
        UiText {
            id,
            text: english.into(),
            kind: "error".into(),
            context: Some(context),
        }
    }

    #[test]
    fn english_is_ours_too() {
        let t = text(
            4000006,
            "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
            serde_json::json!({}),
        );
        assert_eq!(
            kratos_text(Locale::En, &t),
            "Wrong credentials: check the spelling of your e-mail address and password."
        );
    }

    #[test]
    fn french_fills_placeholders_and_names_fields() {
        let t = text(
            4000032,
            "too short",
            serde_json::json!({"min_length": 10, "actual_length": 4}),
        );
        assert_eq!(
            kratos_text(Locale::Fr, &t),
            "Le mot de passe doit compter au moins 10 caractères (4 saisis)."
        );
        let t = text(
            4000002,
            "Property traits.email is missing.",
            serde_json::json!({"property": "traits.email"}),
        );
        assert_eq!(
            kratos_text(Locale::Fr, &t),
            "Le champ « Adresse e-mail » est obligatoire."
        );
    }

    #[test]
    fn unknown_ids_fall_back_to_kratos_english() {
        let t = text(4999999, "Something new", serde_json::json!({}));
        assert_eq!(kratos_text(Locale::Fr, &t), "Something new");
    }

    use super::ids::KRATOS_V1_3_1_IDS;

    /// Ids no flow of ours can show, each with the reason: the configured
    /// methods (deploy/ory/kratos.yml: password, totp, lookup_secret,
    /// passkey, profile; code for recovery and verification only; link,
    /// webauthn and oidc off; no identifier-first login) never emit them.
    /// Whoever enables one of these methods must translate its ids.
    const NOT_EMITTED: &[(&[u64], &str)] = &[
        (
            &[
                1010000, 1010020, 1020000, 1030000, 1040000, 1050000, 1060000, 1070000,
                1080000, 4000000, 4010000, 4040000, 4050000, 4060000, 4060003, 4070000,
                4070004, 5000000,
            ],
            "a category or placeholder: Kratos v1.3.1 has no message with this id",
        ),
        (
            &[1010011, 1010019, 1070014, 1070015, 4000038, 4010007, 4040002],
            "only Kratos' documentation generator (cmd/clidoc) builds this message",
        ),
        (
            &[1010002, 1010016, 1010017, 1010018, 1040002, 1050002, 1050003, 4000027, 4010009],
            "OpenID Connect sign-in (oidc): no provider is configured",
        ),
        (
            &[1060002, 1080001],
            "the link method is off: recovery and verification use codes",
        ),
        (
            &[1010014, 1010015, 1010023, 1040005, 1040006, 1070012, 1070013, 4000035, 4000036, 4010010],
            "code sign-in and sign-up (code.passwordless_enabled, code.mfa_enabled) are off: the code method only recovers and verifies",
        ),
        (
            &[1010008, 1010012, 1040004, 1050012],
            "the legacy webauthn method is off: passkeys have their own ids",
        ),
        (
            &[4000037],
            "identifier-first sign-in (login style identifier_first) is not configured",
        ),
    ];

    /// Ids whose text is data (a secret, a code list), the same in both languages.
    const DATA: &[u64] = &[1050006, 1050009, 1050015];

    fn not_emitted(id: u64) -> bool {
        NOT_EMITTED.iter().any(|(ids, _)| ids.contains(&id))
    }

    /// A message as Kratos would send it, with every context key a
    /// translation may read.
    fn sample(id: u64) -> UiText {
        text(
            id,
            "Kratos' own English",
            serde_json::json!({
                "property": "traits.email", "min_length": 10, "max_length": 72,
                "actual_length": 4, "used_at": "2026-12-03T14:00:00Z",
                "display_name": "YubiKey", "reason": "it is too short",
                "title": "E-mail", "minimum": 1, "maximum": 9, "base": 2,
                "max_items": 3, "min_items": 1, "pattern": "^x$",
            }),
        )
    }

    #[test]
    fn every_kratos_message_a_flow_can_show_has_french_and_english() {
        let mut missing = Vec::new();
        for &(id, name) in KRATOS_V1_3_1_IDS {
            if not_emitted(id) {
                continue;
            }
            let message = sample(id);
            let (fr, en) = (
                kratos_text(Locale::Fr, &message),
                kratos_text(Locale::En, &message),
            );
            let ours = fr != message.text && en != message.text && !fr.is_empty() && !en.is_empty();
            let two_languages = fr != en || DATA.contains(&id);
            if DATA.contains(&id) {
                if super::ours(&message).is_none() {
                    missing.push(format!("{id} {name}"));
                }
            } else if !ours || !two_languages {
                missing.push(format!("{id} {name}: fr {fr:?}, en {en:?}"));
            }
        }
        assert!(
            missing.is_empty(),
            "Kratos messages without both languages:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_exclusions_and_translations_name_real_kratos_ids() {
        let known = |id: u64| KRATOS_V1_3_1_IDS.iter().any(|&(known, _)| known == id);
        for (ids, reason) in NOT_EMITTED {
            for &id in *ids {
                assert!(known(id), "{id} ({reason}) is not a Kratos v1.3.1 id");
            }
        }
        // A translation under a mistyped id would never be shown.
        for base in [
            1010000, 1040000, 1050000, 1060000, 1070000, 1080000, 4000000, 4010000, 4040000, 4050000,
            4060000, 4070000, 5000000,
        ] {
            for id in base..base + 100 {
                if super::ours(&sample(id)).is_some() {
                    assert!(known(id), "{id} is translated but is not a Kratos v1.3.1 id");
                }
            }
        }
    }

    /// Where Go keeps Kratos' sources once xtask has built it.
    fn kratos_id_go() -> Option<std::path::PathBuf> {
        let cache = std::env::var_os("GOMODCACHE")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join("go/pkg/mod"))
            })?;
        let path = cache.join("github.com/ory/kratos@v1.3.1/text/id.go");
        path.exists().then_some(path)
    }

    /// `text/id.go`'s constants: blocks of `Name ID = base + iota` followed
    /// by names, each one more than the last.
    fn parse_id_go(source: &str) -> Vec<(u64, String)> {
        let mut ids = Vec::new();
        let mut next = None;
        let mut in_block = false;
        for line in source.lines() {
            let line = line.split("//").next().unwrap_or_default().trim();
            if line.starts_with("const (") {
                in_block = true;
                continue;
            }
            if line == ")" {
                in_block = false;
                continue;
            }
            if !in_block || line.is_empty() {
                continue;
            }
            let name = line.split_whitespace().next().unwrap_or_default().to_owned();
            if let Some((_, value)) = line.split_once('=') {
                let base = value.split('+').next().unwrap_or_default().trim();
                next = Some(base.parse::<u64>().expect("a numeric base"));
            }
            let id = next.expect("a base before the first name");
            ids.push((id, name));
            next = Some(id + 1);
        }
        ids
    }

    #[test]
    fn the_checked_in_id_list_is_kratos_v1_3_1s() {
        let Some(path) = kratos_id_go() else {
            eprintln!("note: Kratos v1.3.1 sources not in Go's module cache; the id list was not compared");
            return;
        };
        let source = std::fs::read_to_string(&path).expect("readable id.go");
        let parsed = parse_id_go(&source);
        let listed: Vec<(u64, String)> = KRATOS_V1_3_1_IDS
            .iter()
            .map(|&(id, name)| (id, name.to_owned()))
            .collect();
        assert_eq!(
            listed,
            parsed,
            "app/src/i18n/kratos_ids.rs differs from {}",
            path.display()
        );
    }
}
