//! The texts only the REST API writes (problem details, the reference
//! page), in English and French: kept apart from the portal's `Msg` so
//! that they do not ride in the islands' wasm.

app::messages! { ApiMsg {
    IfMatchRequired => en: "This change needs If-Match with the resource's ETag as you last read it.", fr: "Ce changement demande If-Match avec l'ETag de la ressource telle que vous l'avez lue.";
    Stale => en: "The resource changed since the ETag you sent: read it again; nothing was changed.", fr: "La ressource a changé depuis l'ETag envoyé : relisez-la ; rien n'a été changé.";
    RateLimited => en: "Too many requests from this client: wait as Retry-After says.", fr: "Trop de requêtes de ce client : attendez le délai indiqué par Retry-After.";
    IdempotencyReused => en: "This Idempotency-Key was used with another request; use a new key.", fr: "Cette Idempotency-Key a servi à une autre requête ; utilisez une nouvelle clé.";
    IdempotencyInFlight => en: "A request with this Idempotency-Key is still being processed; retry in a moment.", fr: "Une requête avec cette Idempotency-Key est encore en cours ; réessayez dans un instant.";
    IdempotencyKeyInvalid => en: "Idempotency-Key must be 1 to 255 printable characters.", fr: "Idempotency-Key doit compter de 1 à 255 caractères imprimables.";
    ReferenceTitle => en: "ApiBibind reference", fr: "Référence d'ApiBibind";
    ReferenceDocument => en: "The OpenAPI 3.1 document:", fr: "Le document OpenAPI 3.1 :";
    ReferenceOperations => en: "Operations", fr: "Opérations";
    ReferenceAuthentication => en: "Authentication", fr: "Authentification";
    ReferenceAuthenticationLead => en: "An owner or admin makes an API client on the organization's API clients page; its secret is shown once. Its tokens come from", fr: "Un propriétaire ou un administrateur crée un client d'API sur la page « Clients d'API » de l'organisation ; son secret n'est montré qu'une fois. Ses jetons s'obtiennent à";
    ReferenceScope => en: "Scope:", fr: "Droit :";
    ReferenceParameters => en: "Parameters:", fr: "Paramètres :";
    ReferenceBody => en: "Body:", fr: "Corps :";
    ReferenceAnswers => en: "Answers:", fr: "Réponses :";
    ReferenceProblems => en: "Problems", fr: "Erreurs";
    ReferenceProblemsLead => en: "Every refusal is application/problem+json (RFC 9457): type is one of the URIs below (stable: match on it), with title, status, detail in the language of Accept-Language (French or English), instance naming the request, and errors listing each refused field.", fr: "Chaque refus est en application/problem+json (RFC 9457) : type est l'une des URI ci-dessous (stable : un script peut s'y fier), avec title, status, detail dans la langue d'Accept-Language (français ou anglais), instance qui nomme la requête, et errors qui liste chaque champ refusé.";
    ProblemUnauthorized => en: "No token, or one that is not (or no longer) valid: get a new one.", fr: "Aucun jeton, ou un jeton qui n'est pas (ou plus) valide : obtenez-en un nouveau.";
    ProblemInsufficientScope => en: "The token lacks the scope the operation needs.", fr: "Le jeton n'a pas le droit que l'opération demande.";
    ProblemNotFound => en: "Unknown, or not visible to the caller (the same answer, so existence does not leak).", fr: "Inconnu, ou invisible pour l'appelant (la même réponse : l'existence ne fuit pas).";
    ProblemForbidden => en: "The caller's role or the token's scopes do not allow the operation.", fr: "Le rôle de l'appelant ou les droits du jeton ne permettent pas l'opération.";
    ProblemInvalidFields => en: "Fields refused; errors names each with its problem code.", fr: "Champs refusés ; errors nomme chacun avec le code de son problème.";
    ProblemQuota => en: "The change would take a quota of the plan over its limit.", fr: "Le changement dépasserait un quota de l'offre.";
    ProblemLastOwner => en: "The organization would be left without an owner.", fr: "L'organisation n'aurait plus de propriétaire.";
    ProblemStale => en: "Someone changed the resource meanwhile: read it again, then retry.", fr: "La ressource a changé entre-temps : relisez-la, puis réessayez.";
    ProblemPreconditionFailed => en: "If-Match names a version that is no longer current: nothing was changed.", fr: "If-Match nomme une version qui n'est plus la bonne : rien n'a été changé.";
    ProblemPreconditionRequired => en: "The change needs If-Match with the resource's current ETag.", fr: "Le changement demande If-Match avec l'ETag actuel de la ressource.";
    ProblemWrongState => en: "Not possible in the resource's current state.", fr: "Impossible dans l'état actuel de la ressource.";
    ProblemAlreadySubscribed => en: "The organization already subscribes to this offer.", fr: "L'organisation est déjà abonnée à cette offre.";
    ProblemAlreadyMember => en: "The person is already a member.", fr: "La personne est déjà membre.";
    ProblemAddressNotVerified => en: "The caller's e-mail address must be verified first.", fr: "L'adresse e-mail de l'appelant doit d'abord être vérifiée.";
    ProblemLimit => en: "An operator's limit is reached.", fr: "Une limite fixée par l'exploitant est atteinte.";
    ProblemIdempotencyKeyReused => en: "The Idempotency-Key was used with another request.", fr: "L'Idempotency-Key a servi à une autre requête.";
    ProblemIdempotencyKeyInFlight => en: "A request with this Idempotency-Key is still being processed.", fr: "Une requête avec cette Idempotency-Key est encore en cours.";
    ProblemRateLimited => en: "Too many requests: wait as Retry-After says.", fr: "Trop de requêtes : attendez le délai indiqué par Retry-After.";
    ProblemBadRequest => en: "The request could not be read (its body, its query, a header).", fr: "La requête n'a pas pu être lue (son corps, ses paramètres, un en-tête).";
    ProblemUnavailable => en: "A service Bibind depends on did not answer: retry later.", fr: "Un service dont Bibind dépend n'a pas répondu : réessayez plus tard.";
    ProblemInternal => en: "Bibind failed; nothing was changed. Retry later.", fr: "Bibind a échoué ; rien n'a été changé. Réessayez plus tard.";
    Unauthorized => en: "A valid access token is required (Authorization: Bearer …).", fr: "Un jeton d'accès valide est requis (Authorization: Bearer …).";
    Unavailable => en: "The token cannot be checked right now; try again shortly.", fr: "Le jeton ne peut pas être vérifié pour l'instant ; réessayez dans un instant.";
    Internal => en: "The request could not be completed; nothing was changed. Try again later.", fr: "La demande n'a pas pu aboutir ; rien n'a été changé. Réessayez plus tard.";
    BadPage => en: "The page asked for is not one this list has (cursor from its Link header, limit 1 to 100).", fr: "Cette page n'existe pas dans la liste (curseur de l'en-tête Link, limite de 1 à 100).";
    BadBody => en: "The body is not the JSON this operation takes:", fr: "Le corps n'est pas le JSON attendu par cette opération :";
    AdminScopeRequired => en: "This operation is for platform admins: a person's token with the admin scope (bibind login --admin).", fr: "Cette opération est réservée aux administrateurs de la plateforme : le jeton d'une personne avec le droit admin (bibind login --admin).";
    SecondFactorRequired => en: "Administering the platform needs a sign-in with your second factor (bibind login --admin).", fr: "Administrer la plateforme demande une connexion avec votre second facteur (bibind login --admin).";
    NulCharacter => en: "Text may not contain the NUL character (U+0000).", fr: "Un texte ne peut pas contenir le caractère NUL (U+0000).";
    BadQuery => en: "The query is not one this operation takes:", fr: "Les paramètres ne sont pas ceux attendus par cette opération :";
    NoSuchPath => en: "No such operation in the API (see /api/v1/reference).", fr: "Cette opération n'existe pas dans l'API (voir /api/v1/reference).";
} }

#[cfg(test)]
mod tests {
    use super::ApiMsg;
    use control::domain::Locale;

    #[test]
    fn every_text_has_both_languages() {
        for text in ApiMsg::ALL {
            for locale in Locale::ALL {
                assert!(!text.text(locale).trim().is_empty(), "{text:?} in {locale:?}");
            }
        }
    }
}
