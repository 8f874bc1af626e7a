//! Kratos' messages in the portal's languages, by message id (Kratos v1.3.1,
//! `text/id.go`). English is Kratos' own text; French is ours, with Kratos'
//! English as the fallback for an id this table does not know.

use control::domain::UiText;

use super::{Locale, Msg};

/// A Kratos message in `locale`, placeholders filled from its context.
pub fn kratos_text(locale: Locale, text: &UiText) -> String {
    match locale {
        Locale::En => text.text.clone(),
        Locale::Fr => french(text).unwrap_or_else(|| text.text.clone()),
    }
}

fn french(text: &UiText) -> Option<String> {
    let ctx = |key: &str| text.context_value(key).unwrap_or_default();
    let fixed = |s: &str| Some(s.to_owned());
    match text.id {
        1010001 => fixed("Se connecter"),
        1010003 => fixed("Confirmez qu'il s'agit bien de vous pour continuer."),
        1010004 => fixed("Terminez la seconde étape d'authentification."),
        1010005 => fixed("Vérifier"),
        1010006 => fixed("Code d'authentification"),
        1010007 => fixed("Code de secours"),
        1010009 => fixed("Utiliser l'application d'authentification"),
        1010010 => fixed("Utiliser un code de secours"),
        1010013 | 1040003 | 1070009 => fixed("Continuer"),
        1010022 => fixed("Se connecter avec un mot de passe"),
        1040001 => fixed("Créer un compte"),
        1040008 => fixed("Retour"),
        1040009 => fixed("Choisissez comment vous authentifier."),
        1010021 => fixed("Se connecter avec une clé d'accès"),
        1040007 => fixed("S'inscrire avec une clé d'accès"),
        1050019 => fixed("Ajouter une clé d'accès"),
        1050001 => fixed("Vos modifications ont été enregistrées."),
        1050004 => fixed("Retirer l'application d'authentification"),
        1050005 => fixed("QR code pour l'application d'authentification"),
        1050007 => fixed("Afficher les codes de secours"),
        1050008 => fixed("Générer de nouveaux codes de secours"),
        1050010 => fixed("Voici vos codes de secours. Gardez-les en lieu sûr !"),
        1050011 => fixed("Confirmer les codes de secours"),
        1050014 => Some(format!("Code utilisé le {}", ctx("used_at"))),
        1050016 => fixed("Désactiver cette méthode"),
        1050017 => fixed(
            "Voici la clé secrète de votre application d'authentification. Utilisez-la si vous ne pouvez pas scanner le QR code.",
        ),
        1060001 => Some(format!(
            "Votre compte est récupéré. Changez votre mot de passe dans les {} prochaines minutes.",
            ctx("privileged_session_expires_at_unix_until_minutes")
        )),
        1060003 => fixed(
            "Un e-mail contenant un code de récupération a été envoyé à l'adresse indiquée. Si vous ne le recevez pas, vérifiez l'orthographe de l'adresse et qu'il s'agit bien de celle de votre compte.",
        ),
        1070001 => fixed("Mot de passe"),
        1070003 => fixed("Enregistrer"),
        1070004 | 1070007 => fixed("Adresse e-mail"),
        1070005 => fixed("Envoyer"),
        1070006 => fixed("Vérifier le code"),
        1070008 => fixed("Renvoyer le code"),
        1070010 => fixed("Code de récupération"),
        1070011 => fixed("Code de vérification"),
        1080002 => fixed("Votre adresse e-mail est vérifiée."),
        1080003 => fixed(
            "Un e-mail contenant un code de vérification a été envoyé à l'adresse indiquée. Si vous ne le recevez pas, vérifiez l'orthographe de l'adresse et qu'il s'agit bien de celle de votre compte.",
        ),
        4000002 => Some(format!("Le champ « {} » est obligatoire.", field_name_fr(&ctx("property")))),
        4000003 => Some(format!(
            "Au moins {} caractères sont nécessaires ({} saisis).",
            ctx("min_length"),
            ctx("actual_length")
        )),
        4000004 => fixed("Ce format n'est pas valide."),
        4000006 => fixed(
            "Identifiants incorrects : vérifiez l'orthographe de votre adresse e-mail et de votre mot de passe.",
        ),
        4000007 => fixed("Un compte existe déjà avec cette adresse e-mail."),
        4000008 => fixed("Ce code d'authentification n'est pas valide, réessayez."),
        4000010 => fixed("Compte pas encore actif : avez-vous vérifié votre adresse e-mail ?"),
        4000012 => fixed("Ce code de secours a déjà été utilisé."),
        4000016 => fixed("Ce code de secours n'est pas valide."),
        4000031 => fixed("Ce mot de passe ressemble trop à votre adresse e-mail."),
        4000032 => Some(format!(
            "Le mot de passe doit compter au moins {} caractères ({} saisis).",
            ctx("min_length"),
            ctx("actual_length")
        )),
        4000033 => Some(format!("Le mot de passe doit compter au plus {} caractères.", ctx("max_length"))),
        4000034 => fixed("Ce mot de passe figure dans des fuites de données : choisissez-en un autre."),
        4010001 | 4040001 | 4050001 | 4060005 | 4070005 => {
            fixed("Le formulaire a expiré : nous en avons ouvert un nouveau, recommencez.")
        }
        4010008 | 4040003 | 4060006 | 4070006 => {
            fixed("Ce code n'est pas valide ou a déjà été utilisé. Réessayez.")
        }
        4060004 | 4070001 => fixed("Ce lien n'est pas valide ou a déjà été utilisé. Recommencez."),
        4060002 | 4070003 => fixed("Cette procédure a échoué et doit être recommencée."),
        _ => None,
    }
}

/// Kratos names fields by their JSON path (`traits.email`): say it in French.
fn field_name_fr(property: &str) -> String {
    field_msg(property)
        .map(|m| m.text(Locale::Fr).to_owned())
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
    fn english_is_kratos_own_text() {
        let t = text(
            4000006,
            "The provided credentials are invalid",
            serde_json::json!({}),
        );
        assert_eq!(
            kratos_text(Locale::En, &t),
            "The provided credentials are invalid"
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
}
