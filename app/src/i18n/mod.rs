//! Every text the portal shows, in English and French.
//!
//! Messages are an enum, so a missing translation or a misspelt key is a
//! compile error rather than a blank on a page. The language is chosen per
//! request (the `bibind_locale` cookie, else `Accept-Language`) and written into
//! `<html lang>`, from which the islands read it back in the browser.

mod countries;
mod kratos;

use leptos::prelude::*;

pub use control::domain::Locale;
pub use countries::{country_name, country_sort_key};
pub use kratos::{field_msg, kratos_text};

/// The cookie that keeps a visitor's language choice.
pub const LOCALE_COOKIE: &str = "bibind_locale";

/// A table of user-visible texts in English and French: an enum named
/// `$name` with `text(locale)`. The portal's own is [`Msg`]; texts only the
/// server writes (the REST API's) have their own table in the server, so
/// that they do not ride in the islands' wasm.
#[macro_export]
macro_rules! messages {
    ($name:ident { $($key:ident => en: $en:literal, fr: $fr:literal;)* }) => {
        /// A user-visible text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($key),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$key),*];

            pub fn text(self, locale: $crate::i18n::Locale) -> &'static str {
                match (self, locale) {
                    $(($name::$key, $crate::i18n::Locale::En) => $en, ($name::$key, $crate::i18n::Locale::Fr) => $fr,)*
                }
            }
        }
    };
}

messages! { Msg {
    BrandTagline => en: "Sovereign cloud and SaaS", fr: "Cloud et SaaS souverains";
    SkipToContent => en: "Skip to content", fr: "Aller au contenu";
    MainNavigation => en: "Main navigation", fr: "Navigation principale";
    NavOffers => en: "Offers", fr: "Offres";
    LanguageSwitch => en: "Language", fr: "Langue";
    SwitchToEnglish => en: "English", fr: "English";
    SwitchToFrench => en: "Français", fr: "Français";
    LandingTitle => en: "Bibind: your services, hosted in France, run for you", fr: "Bibind : vos services, hébergés en France, opérés pour vous";
    HeroHeading => en: "Your online shop, your training, your devices. Hosted in France, run for you.", fr: "Votre boutique, vos formations, vos objets connectés. Hébergés en France, opérés pour vous.";
    HeroLead => en: "Subscribe in a few minutes: Bibind provisions your service on its own Kubernetes and OpenStack infrastructure, keeps your secrets in Vault and signs your users in once for every application.", fr: "Souscrivez en quelques minutes : Bibind provisionne votre service sur sa propre infrastructure Kubernetes et OpenStack, garde vos secrets dans Vault et connecte vos utilisateurs une seule fois pour toutes les applications.";
    HeroCta => en: "See the offers", fr: "Voir les offres";
    OffersHeading => en: "Offers and plans", fr: "Offres et formules";
    OffersLead => en: "Prices excluding VAT. Change plan or cancel at any time.", fr: "Prix hors taxes. Changez de formule ou résiliez à tout moment.";
    PerMonth => en: "per month", fr: "par mois";
    PerYear => en: "per year", fr: "par an";
    BillingPeriod => en: "Billing period", fr: "Période de facturation";
    BillingMonthly => en: "Monthly", fr: "Mensuel";
    BillingYearly => en: "Yearly: 2 months free", fr: "Annuel : 2 mois offerts";
    NeedsApproval => en: "Activated after review by our team", fr: "Activé après validation par notre équipe";
    NoPlans => en: "No plan is on sale for this offer at the moment.", fr: "Aucune formule n'est en vente pour cette offre en ce moment.";
    QuotaCpu => en: "vCPU", fr: "vCPU";
    QuotaMemory => en: "memory", fr: "de mémoire";
    QuotaStorage => en: "storage", fr: "de stockage";
    QuotaSeat => en: "user seat", fr: "utilisateur";
    QuotaSeats => en: "user seats", fr: "utilisateurs";
    QuotaDevice => en: "device", fr: "objet connecté";
    QuotaDevices => en: "devices", fr: "objets connectés";
    QuotaBackupDay => en: "day of backups", fr: "jour de sauvegardes";
    QuotaBackupDays => en: "days of backups", fr: "jours de sauvegardes";
    QuotaInstance => en: "OpenStack instance", fr: "instance OpenStack";
    QuotaInstances => en: "OpenStack instances", fr: "instances OpenStack";
    FeatureSovereignTitle => en: "Hosted in France", fr: "Hébergé en France";
    FeatureSovereignBody => en: "Your data stays in our French data centres, under European law.", fr: "Vos données restent dans nos centres de données français, sous droit européen.";
    FeatureSsoTitle => en: "One login", fr: "Une seule connexion";
    FeatureSsoBody => en: "Your team and your learners sign in once and reach every application.", fr: "Votre équipe et vos apprenants se connectent une fois et accèdent à toutes les applications.";
    FeatureOpsTitle => en: "Run for you", fr: "Opéré pour vous";
    FeatureOpsBody => en: "Provisioning, updates, backups and quotas are automated and visible in your portal.", fr: "Provisionnement, mises à jour, sauvegardes et quotas sont automatisés et visibles dans votre portail.";
    FooterApi => en: "REST API reference", fr: "Référence de l'API REST";
    FooterRights => en: "Bibind, a French cloud and SaaS provider.", fr: "Bibind, fournisseur français de cloud et de SaaS.";
    NotFoundTitle => en: "Page not found", fr: "Page introuvable";
    NotFoundBody => en: "The page you asked for does not exist or has moved.", fr: "La page demandée n'existe pas ou a été déplacée.";
    BackHome => en: "Back to the home page", fr: "Retour à l'accueil";
    ErrorTitle => en: "Something went wrong", fr: "Une erreur est survenue";
    ErrorBody => en: "We could not display this page. Our team has been told; please try again in a moment.", fr: "Nous n'avons pas pu afficher cette page. Notre équipe est prévenue ; réessayez dans un instant.";
    TryAgain => en: "Try again", fr: "Réessayer";
    SignIn => en: "Sign in", fr: "Se connecter";
    SignUp => en: "Create an account", fr: "Créer un compte";
    SignOut => en: "Sign out", fr: "Se déconnecter";
    SignOutTitle => en: "Sign out of Bibind?", fr: "Se déconnecter de Bibind ?";
    SignOutLead => en: "You will be signed out of the portal and of the applications you entered with your Bibind account.", fr: "Vous serez déconnecté·e du portail et des applications où vous êtes entré·e avec votre compte Bibind.";
    SignOutAskedByApplication => en: "An application asked to sign you out of your Bibind account. If you did not ask for it, stay signed in.", fr: "Une application a demandé à vous déconnecter de votre compte Bibind. Si vous ne l'avez pas demandé, restez connecté·e.";
    StaySignedIn => en: "Stay signed in", fr: "Rester connecté·e";
    AccountMenu => en: "Your account", fr: "Votre compte";
    AccountSettings => en: "Account settings", fr: "Paramètres du compte";
    SignedInAs => en: "Signed in as", fr: "Connecté en tant que";
    LoginTitle => en: "Sign in to Bibind", fr: "Connexion à Bibind";
    RegistrationTitle => en: "Create your Bibind account", fr: "Créez votre compte Bibind";
    RecoveryTitle => en: "Recover your account", fr: "Récupérer votre compte";
    RecoveryLead => en: "Enter your e-mail address: we will send you a code to sign in again.", fr: "Saisissez votre adresse e-mail : nous vous enverrons un code pour vous reconnecter.";
    VerificationTitle => en: "Verify your e-mail address", fr: "Vérifiez votre adresse e-mail";
    SettingsTitle => en: "Account settings", fr: "Paramètres du compte";
    SettingsProfile => en: "Profile", fr: "Profil";
    SettingsPassword => en: "Password", fr: "Mot de passe";
    SettingsTotp => en: "Authenticator app", fr: "Application d'authentification";
    SettingsLookup => en: "Backup recovery codes", fr: "Codes de secours";
    ForgotPassword => en: "Forgot your password?", fr: "Mot de passe oublié ?";
    NoAccountYet => en: "No account yet?", fr: "Pas encore de compte ?";
    AlreadyHaveAccount => en: "Already have an account?", fr: "Vous avez déjà un compte ?";
    FieldEmail => en: "E-mail address", fr: "Adresse e-mail";
    FieldFirstName => en: "First name", fr: "Prénom";
    FieldLastName => en: "Last name", fr: "Nom";
    FieldLocale => en: "Preferred language", fr: "Langue préférée";
    FieldPassword => en: "Password", fr: "Mot de passe";
    TotpQrAlt => en: "QR code to scan with your authenticator app", fr: "QR code à scanner avec votre application d'authentification";
    AuthErrorTitle => en: "This sign-in step could not be completed", fr: "Cette étape de connexion n'a pas pu aboutir";
    AuthErrorBody => en: "The link or form may have expired or been used already. Start again: it only takes a moment.", fr: "Le lien ou le formulaire a peut-être expiré ou déjà servi. Recommencez : cela ne prend qu'un instant.";
    StartAgain => en: "Start again", fr: "Recommencer";
    SettingsPasskey => en: "Passkeys", fr: "Clés d'accès";
    NavOrganizations => en: "Organizations", fr: "Organisations";
    OrgsTitle => en: "Your organizations", fr: "Vos organisations";
    OrgsEmpty => en: "You do not belong to any organization yet. Create one to subscribe to Bibind's services, or ask a colleague to invite you.", fr: "Vous n'appartenez encore à aucune organisation. Créez-en une pour souscrire aux services de Bibind, ou demandez à un collègue de vous inviter.";
    OrgsCreate => en: "Create an organization", fr: "Créer une organisation";
    OrgNewLead => en: "Your company or association, as it will appear on Bibind. You will be its owner.", fr: "Votre entreprise ou association, telle qu'elle apparaîtra sur Bibind. Vous en serez propriétaire.";
    OrgFieldName => en: "Name", fr: "Nom";
    OrgFieldSlug => en: "Address on Bibind", fr: "Adresse sur Bibind";
    OrgFieldSlugHint => en: "3 to 40 lowercase letters, digits and hyphens; used in your services' addresses.", fr: "3 à 40 lettres minuscules, chiffres et tirets ; sert dans l'adresse de vos services.";
    OrgFieldCountry => en: "Country", fr: "Pays";
    OrgFieldBillingEmail => en: "Billing e-mail address", fr: "Adresse e-mail de facturation";
    OrgCreateSubmit => en: "Create the organization", fr: "Créer l'organisation";
    OrgMembers => en: "Members", fr: "Membres";
    OrgBilling => en: "Billing e-mail", fr: "E-mail de facturation";
    OrgYourRole => en: "Your role", fr: "Votre rôle";
    OrgNotFoundTitle => en: "No such organization", fr: "Organisation introuvable";
    OrgNotFoundBody => en: "Either it does not exist or you are not one of its members.", fr: "Elle n'existe pas, ou vous n'en êtes pas membre.";
    RoleOwner => en: "Owner", fr: "Propriétaire";
    RoleAdmin => en: "Administrator", fr: "Administrateur";
    RoleMember => en: "Member", fr: "Membre";
    RoleLearner => en: "Learner", fr: "Apprenant";
    StateActive => en: "Active", fr: "Active";
    StatePendingApproval => en: "Awaiting approval by Bibind", fr: "En attente de validation par Bibind";
    StateSuspended => en: "Suspended", fr: "Suspendue";
    StateClosed => en: "Closed", fr: "Fermée";
    ProblemMissing => en: "This field is required.", fr: "Ce champ est obligatoire.";
    ProblemTooShort => en: "This is too short.", fr: "C'est trop court.";
    ProblemTooLong => en: "This is too long.", fr: "C'est trop long.";
    ProblemBadCharacters => en: "Use lowercase letters, digits and single hyphens, not at the ends.", fr: "Utilisez des lettres minuscules, des chiffres et des tirets simples, pas aux extrémités.";
    ProblemReserved => en: "This address is reserved; choose another.", fr: "Cette adresse est réservée ; choisissez-en une autre.";
    ProblemTaken => en: "Another organization already uses this address.", fr: "Une autre organisation utilise déjà cette adresse.";
    ProblemUnknownCountry => en: "Choose a country from the list.", fr: "Choisissez un pays dans la liste.";
    ProblemInvalidEmail => en: "This is not a valid e-mail address.", fr: "Ce n'est pas une adresse e-mail valide.";
    AdminTitle => en: "Administration", fr: "Administration";
    AdminLead => en: "People who may administer the Bibind platform.", fr: "Les personnes habilitées à administrer la plateforme Bibind.";
    AdminColEmail => en: "E-mail address", fr: "Adresse e-mail";
    AdminColGrantedAt => en: "Admin since", fr: "Administrateur depuis";
    AdminColGrantedBy => en: "Granted by", fr: "Accordé par";
    AdminForbiddenTitle => en: "This area is for Bibind's operators", fr: "Cet espace est réservé aux opérateurs de Bibind";
    AdminForbiddenBody => en: "Your account cannot administer the platform. If you should, ask a platform administrator.", fr: "Votre compte ne peut pas administrer la plateforme. Si vous devriez le pouvoir, demandez à un administrateur.";
    AdminSecondFactorTitle => en: "Administration needs a second factor", fr: "L'administration exige un second facteur";
    AdminSecondFactorBody => en: "Admin pages are only shown after signing in with a second factor. Set up an authenticator app or recovery codes in your account settings, then come back.", fr: "Les pages d'administration ne s'affichent qu'après une connexion avec un second facteur. Configurez une application d'authentification ou des codes de secours dans vos paramètres, puis revenez.";
    AdminSecondFactorAction => en: "Set up a second factor", fr: "Configurer un second facteur";
    TooManyAttempts => en: "Too many attempts. To protect the account, this form is paused: try again in", fr: "Trop de tentatives. Pour protéger le compte, ce formulaire est suspendu : réessayez dans";
    MinuteOne => en: "minute", fr: "minute";
    MinuteOther => en: "minutes", fr: "minutes";
    SignInDeniedTitle => en: "Sign-in cancelled", fr: "Connexion annulée";
    NotAMemberTitle => en: "Members only", fr: "Réservé aux membres";
    NotAMemberShop => en: "You are not a member of {organization}'s shop.", fr: "Vous n'êtes pas membre de la boutique {de_organization}.";
    NotAMemberTraining => en: "You are not a member of {organization}'s training space.", fr: "Vous n'êtes pas membre de l'espace de formation {de_organization}.";
    NotAMemberIot => en: "You are not a member of {organization}'s IoT space.", fr: "Vous n'êtes pas membre de l'espace IoT {de_organization}.";
    NotAMemberApplication => en: "You are not a member of the organization behind {organization}.", fr: "Vous n'êtes pas membre de l'organisation {de_organization}.";
    NotAMemberHint => en: "Nothing about you was sent to the application. Ask one of the organization's owners or administrators to invite you, then sign in again.", fr: "Rien vous concernant n'a été transmis à l'application. Demandez à l'un des propriétaires ou administrateurs de l'organisation de vous inviter, puis reconnectez-vous.";
    BackToApplication => en: "Back to the application", fr: "Retour à l'application";
    SignInDeniedBody => en: "The sign-in was refused, so you are not signed in. You can start again whenever you like.", fr: "La connexion a été refusée : vous n'êtes pas connecté. Vous pouvez recommencer quand vous le souhaitez.";
    SignInUnavailableTitle => en: "Sign-in is unavailable for a moment", fr: "La connexion est momentanément indisponible";
    AttemptUncountedTitle => en: "This form is paused for a moment", fr: "Ce formulaire est momentanément suspendu";
    AttemptUncountedBody => en: "We could not check this attempt against our protections, so it was not sent. Nothing was changed; please try again in a few minutes.", fr: "Nous n'avons pas pu vérifier cette tentative auprès de nos protections : elle n'a donc pas été envoyée. Rien n'a été modifié ; réessayez dans quelques minutes.";
    SignInUnavailableBody => en: "Our sign-in service did not answer. Nothing was changed; please try again in a few minutes.", fr: "Notre service de connexion n'a pas répondu. Rien n'a été modifié ; réessayez dans quelques minutes.";
    SessionsTitle => en: "Your active sessions", fr: "Vos sessions actives";
    SessionsLead => en: "Every browser or device signed in to your account. Sign out the ones you do not recognise.", fr: "Chaque navigateur ou appareil connecté à votre compte. Déconnectez ceux que vous ne reconnaissez pas.";
    SessionsSince => en: "Signed in on", fr: "Connecté le";
    SessionsThisDevice => en: "This browser", fr: "Ce navigateur";
    SessionsUnknownDevice => en: "Unknown device", fr: "Appareil inconnu";
    SessionsRevoke => en: "Sign out this session", fr: "Déconnecter cette session";
    SessionsRevokeOthers => en: "Sign out all other sessions", fr: "Déconnecter toutes les autres sessions";
    NavSessions => en: "Sessions", fr: "Sessions";
    ConsentTitle => en: "Share your Bibind account?", fr: "Partager votre compte Bibind ?";
    ConsentAsks => en: "would like to:", fr: "souhaite :";
    ConsentRemember => en: "Remember my choice for this application", fr: "Retenir mon choix pour cette application";
    ConsentAllow => en: "Allow", fr: "Autoriser";
    ConsentDeny => en: "Deny", fr: "Refuser";
    ScopeOpenid => en: "Confirm who you are", fr: "Confirmer votre identité";
    ScopeEmail => en: "See your e-mail address", fr: "Voir votre adresse e-mail";
    ScopeProfile => en: "See your name and preferred language", fr: "Voir votre nom et votre langue préférée";
    ScopeOffline => en: "Stay connected while you are away", fr: "Rester connectée en votre absence";
    ProblemUnknown => en: "Choose one from the list.", fr: "Choisissez dans la liste.";
    ProblemInvalidDate => en: "Write the date as YYYY-MM-DD.", fr: "Écrivez la date au format AAAA-MM-JJ.";
    OrgInviteTitle => en: "Invite someone", fr: "Inviter quelqu'un";
    OrgInviteLead => en: "They receive a link by e-mail, usable once within 7 days. Without an account, they create one on the way.", fr: "La personne reçoit un lien par e-mail, utilisable une fois sous 7 jours. Sans compte, elle en crée un au passage.";
    OrgInviteSubmit => en: "Send the invitation", fr: "Envoyer l'invitation";
    OrgFieldRole => en: "Role", fr: "Rôle";
    OrgInvited => en: "Invitation sent.", fr: "Invitation envoyée.";
    OrgJoined => en: "Welcome! You are now a member of this organization.", fr: "Bienvenue ! Vous êtes maintenant membre de cette organisation.";
    OrgPendingInvitations => en: "Pending invitations", fr: "Invitations en attente";
    OrgInvitationExpires => en: "expires on", fr: "expire le";
    OrgRevokeInvitation => en: "Withdraw", fr: "Retirer";
    OrgChangeRole => en: "Change role", fr: "Changer le rôle";
    OrgRemoveMember => en: "Remove", fr: "Retirer";
    OrgLeave => en: "Leave the organization", fr: "Quitter l'organisation";
    OrgYou => en: "you", fr: "vous";
    OrgSubscriptions => en: "Services", fr: "Services";
    OrgNoSubscriptions => en: "No service yet.", fr: "Aucun service pour l'instant.";
    OrgAddService => en: "Add a service", fr: "Ajouter un service";
    OrgAddServiceLead => en: "Each plan sets the quotas of the service. A plan marked for approval starts once Bibind has validated it.", fr: "Chaque formule fixe les quotas du service. Une formule soumise à validation démarre une fois validée par Bibind.";
    OrgTabOverview => en: "Overview", fr: "Vue d'ensemble";
    OrgPages => en: "Organization pages", fr: "Pages de l'organisation";
    OrgMemberCount => en: "Number of members", fr: "Nombre de membres";
    OrgSeeMembers => en: "See and manage members", fr: "Voir et gérer les membres";
    OrgSubscribe => en: "Subscribe", fr: "Souscrire";
    OrgChangePlan => en: "Change plan", fr: "Changer de formule";
    OrgCancelSubscription => en: "Cancel this subscription", fr: "Résilier cet abonnement";
    OrgPlan => en: "Plan", fr: "Formule";
    OrgUsage => en: "Usage and quotas", fr: "Consommation et quotas";
    OrgPlanValue => en: "plan:", fr: "formule :";
    OrgAuditLink => en: "Audit log", fr: "Journal d'audit";
    OrgStatus => en: "Status:", fr: "Statut :";
    OrgStateReason => en: "Reason given by Bibind:", fr: "Motif indiqué par Bibind :";
    SubRequested => en: "Requested: we are preparing your service", fr: "Demandé : nous préparons votre service";
    SubAwaitingApproval => en: "Awaiting approval by our team", fr: "En attente de validation par notre équipe";
    SubProvisioning => en: "Being set up", fr: "En cours de mise en place";
    SubActive => en: "Active", fr: "Actif";
    SubSuspended => en: "Suspended", fr: "Suspendu";
    SubDeprovisioning => en: "Being removed", fr: "En cours de suppression";
    SubClosed => en: "Closed", fr: "Fermé";
    SubFailed => en: "Failed: our team has been told", fr: "Échec : notre équipe est prévenue";
    ProgressProvision => en: "Setting up your service", fr: "Mise en place de votre service";
    ProgressSuspend => en: "Suspending your service", fr: "Suspension de votre service";
    ProgressResume => en: "Resuming your service", fr: "Reprise de votre service";
    ProgressClose => en: "Removing your service", fr: "Suppression de votre service";
    ProgressSyncMembers => en: "Bringing your team’s access up to date", fr: "Mise à jour des accès de votre équipe";
    ProgressApplyDomain => en: "Setting up your own domain", fr: "Mise en place de votre propre domaine";
    ProgressSyncDevices => en: "Updating your devices' access", fr: "Mise à jour de l'accès de vos objets";
    ProgressBackup => en: "Backing up your data", fr: "Sauvegarde de vos données";
    ProgressRestore => en: "Restoring a backup", fr: "Restauration d'une sauvegarde";
    ProgressDrill => en: "Checking that the latest backup restores", fr: "Vérification que la dernière sauvegarde se restaure";
    ProgressChangeModules => en: "Installing and removing your modules", fr: "Installation et retrait de vos modules";
    ProgressStepsDone => en: "steps done", fr: "étapes terminées";
    ProgressWaitingFor => en: "Waiting for a moment, we try again automatically:", fr: "Petite attente, nous réessayons automatiquement :";
    ProgressFailed => en: "Stopped: our team has been alerted and will finish it.", fr: "Interrompu : notre équipe est alertée et va le terminer.";
    ProgressCancelled => en: "Stopped by our team.", fr: "Arrêté par notre équipe.";
    ProgressLive => en: "This list updates by itself.", fr: "Cette liste se met à jour toute seule.";
    ProgressReload => en: "Reload the page to see where it stands.", fr: "Rechargez la page pour voir où il en est.";
    BackendPortal => en: "the portal", fr: "le portail";
    BackendKubernetes => en: "our container platform", fr: "notre plateforme de conteneurs";
    BackendVault => en: "our secrets vault", fr: "notre coffre-fort de secrets";
    BackendHydra => en: "single sign-on", fr: "la connexion unique";
    BackendOdoo => en: "Odoo", fr: "Odoo";
    BackendAwx => en: "our automation", fr: "notre automatisation";
    BackendOpenStack => en: "our cloud servers", fr: "nos serveurs cloud";
    BackendGitlab => en: "our image registry", fr: "notre registre d'images";
    BackendMqtt => en: "our device broker", fr: "notre broker d'objets connectés";
    BackendStorage => en: "our backup storage", fr: "notre stockage de sauvegardes";
    StepBegin => en: "Request received", fr: "Demande reçue";
    StepVaultTenant => en: "Secure vault for your secrets", fr: "Coffre-fort pour vos secrets";
    StepVaultSecrets => en: "Passwords generated", fr: "Mots de passe générés";
    StepKubeNamespace => en: "Isolated space", fr: "Espace isolé";
    StepKubeQuota => en: "Resource limits of your plan", fr: "Limites de ressources de votre formule";
    StepKubeNetworkPolicy => en: "Network isolation", fr: "Isolation réseau";
    StepOpenstackProject => en: "Cloud project and its quotas", fr: "Projet cloud et ses quotas";
    StepAwxDatabase => en: "Database", fr: "Base de données";
    StepGitlabRegistry => en: "Image registry", fr: "Registre d'images";
    StepMqttTenant => en: "Device broker access", fr: "Accès au broker d'objets";
    StepMqttDevices => en: "Each device's own access", fr: "L'accès propre à chaque objet";
    StepKubeSecrets => en: "Secrets handed to your service", fr: "Secrets transmis à votre service";
    StepKubeMigrate => en: "Data store prepared", fr: "Stockage des données préparé";
    StepKubeWorkload => en: "Application started", fr: "Application démarrée";
    StepOdooDatabase => en: "Odoo database", fr: "Base Odoo";
    StepOdooModules => en: "Odoo applications installed", fr: "Applications Odoo installées";
    SiteShop => en: "Your shop:", fr: "Votre boutique :";
    SiteTraining => en: "Your training space:", fr: "Votre espace de formation :";
    OpenBackOffice => en: "Open back office", fr: "Ouvrir le back-office";
    SiteAnswers => en: "Online", fr: "En ligne";
    SiteUnreachableSince => en: "Not reachable since {time}", fr: "Injoignable depuis {time}";
    SiteProblemStatus => en: "(it answers with an error, HTTP {status})", fr: "(il répond par une erreur, HTTP {status})";
    SiteProblemTimeout => en: "(no answer within 5 seconds)", fr: "(pas de réponse en 5 secondes)";
    SiteProblemNoConnection => en: "(no connection)", fr: "(connexion impossible)";
    OrgYourServices => en: "Your services", fr: "Vos services";
    OrgTabModules => en: "Modules", fr: "Modules";
    OrgTabCourses => en: "Courses", fr: "Formations";
    CoursesTitle => en: "Courses and progress", fr: "Formations et progression";
    CoursesLead => en: "The courses of your training space, written in Odoo eLearning (open its back office to author them). Put learners in a course here: they find it on their “My learning” page and continue it signed in.", fr: "Les formations de votre espace de formation, rédigées dans Odoo eLearning (ouvrez son back-office pour les créer). Inscrivez ici des apprenants à une formation : ils la retrouvent sur leur page « Mon apprentissage » et la suivent déjà connectés.";
    CoursesNoSpace => en: "This organization has no training space. Add the training offer from the Services page.", fr: "Cette organisation n'a pas d'espace de formation. Ajoutez l'offre Formation depuis la page Services.";
    CoursesNotLive => en: "Your training space is not live yet: its courses appear here once it is.", fr: "Votre espace de formation n'est pas encore en service : ses formations apparaîtront ici dès qu'il le sera.";
    CoursesNone => en: "No course yet. Create your courses in Odoo eLearning: they appear here within a minute.", fr: "Aucune formation pour l'instant. Créez vos formations dans Odoo eLearning : elles apparaissent ici en une minute.";
    CoursesReadAt => en: "Read from Odoo on {time}.", fr: "Lu dans Odoo le {time}.";
    CoursesNeverRead => en: "Not read from Odoo yet.", fr: "Pas encore lu dans Odoo.";
    CoursesRefreshing => en: "A fresh reading was asked of Odoo: reload the page in a moment to see it.", fr: "Une nouvelle lecture a été demandée à Odoo : rechargez la page dans un instant pour la voir.";
    CourseContents => en: "{count} contents", fr: "{count} contenus";
    CourseLearners => en: "{count} learners, {done} completed", fr: "{count} apprenants, {done} ont terminé";
    CourseUnpublished => en: "Not published", fr: "Non publiée";
    CourseLearner => en: "Learner", fr: "Apprenant";
    CourseAssign => en: "Put in the course", fr: "Inscrire";
    CourseRemove => en: "Take out", fr: "Désinscrire";
    ProgressTitle => en: "Progress", fr: "Progression";
    ProgressCourse => en: "Course", fr: "Formation";
    ProgressStatus => en: "Status", fr: "Statut";
    ProgressCompletion => en: "Completion", fr: "Avancement";
    ProgressCompletedAt => en: "Completed on", fr: "Terminée le";
    ProgressLastActivity => en: "Last activity", fr: "Dernière activité";
    ProgressAction => en: "Action", fr: "Action";
    ProgressAllCourses => en: "All courses", fr: "Toutes les formations";
    ProgressAllStatuses => en: "All statuses", fr: "Tous les statuts";
    ProgressLearnerSearch => en: "Learner's address", fr: "Adresse de l'apprenant";
    ProgressFilterApply => en: "Filter", fr: "Filtrer";
    ProgressExport => en: "Export as CSV", fr: "Exporter en CSV";
    ProgressEmpty => en: "No learner to show.", fr: "Aucun apprenant à afficher.";
    LearnerAssigning => en: "Being enrolled", fr: "Inscription en cours";
    LearnerNotStarted => en: "Not started", fr: "Pas commencée";
    LearnerInProgress => en: "In progress", fr: "En cours";
    LearnerCompleted => en: "Completed", fr: "Terminée";
    LearnerRemoving => en: "Being taken out", fr: "Désinscription en cours";
    LearnerLeft => en: "Left", fr: "Partie";
    CourseCode => en: "Code for files: {code}", fr: "Code pour les fichiers : {code}";
    ImportTitle => en: "Enrol learners from a file", fr: "Inscrire des apprenants depuis un fichier";
    ImportLead => en: "A CSV file with one learner a line and the columns email, first name, last name, language (en or fr) and courses (their codes, separated by spaces). You see every line and its problems before anything is sent.", fr: "Un fichier CSV avec un apprenant par ligne et les colonnes e-mail, prénom, nom, langue (fr ou en) et cours (leurs codes, séparés par des espaces). Vous voyez chaque ligne et ses problèmes avant tout envoi.";
    ImportFile => en: "CSV file", fr: "Fichier CSV";
    ImportUpload => en: "Preview", fr: "Prévisualiser";
    ImportPreviewTitle => en: "Learners of {file}", fr: "Apprenants de {file}";
    ImportSummary => en: "{count} learners will be invited, {left} lines are left out.", fr: "{count} apprenants seront invités, {left} lignes sont écartées.";
    ImportOverSeats => en: "This file needs {requested} seats and your plan allows {limit}: nothing will be sent. Take lines out or change plan.", fr: "Ce fichier demande {requested} places et votre formule en permet {limit} : rien ne sera envoyé. Retirez des lignes ou changez de formule.";
    ImportNothingToSend => en: "No line can be invited: correct the file and upload it again.", fr: "Aucune ligne ne peut être invitée : corrigez le fichier et chargez-le à nouveau.";
    ImportSend => en: "Send {count} invitations", fr: "Envoyer {count} invitations";
    ImportAnother => en: "Upload another file", fr: "Charger un autre fichier";
    ImportSent => en: "{count} invitations are being sent, each in its learner's language. Each learner is put in their courses once they join.", fr: "{count} invitations sont en cours d'envoi, chacune dans la langue de son apprenant. Chacun est inscrit à ses formations dès qu'il rejoint l'organisation.";
    ImportLine => en: "Line", fr: "Ligne";
    ImportName => en: "Name", fr: "Nom";
    ImportLanguage => en: "Language", fr: "Langue";
    ImportCourses => en: "Courses", fr: "Formations";
    ImportProblems => en: "Problems", fr: "Problèmes";
    ImportRowReady => en: "Will be invited", fr: "Sera invité";
    ImportCodesLead => en: "Course codes:", fr: "Codes des formations :";
    ImportUnreadableEmpty => en: "The file is empty: it needs a first line naming its columns.", fr: "Le fichier est vide : il lui faut une première ligne nommant ses colonnes.";
    ImportUnreadableColumn => en: "The file has no “{column}” column.", fr: "Le fichier n'a pas de colonne « {column} ».";
    ImportUnreadableTooMany => en: "The file has {count} lines; one file may hold {max}. Split it.", fr: "Le fichier a {count} lignes ; un fichier peut en contenir {max}. Découpez-le.";
    ImportUnreadableQuote => en: "A quote opened on line {line} is never closed.", fr: "Un guillemet ouvert ligne {line} n'est jamais refermé.";
    RowBadEmail => en: "not an e-mail address", fr: "adresse e-mail invalide";
    RowDuplicate => en: "same address as line {line}", fr: "même adresse que la ligne {line}";
    RowMissingName => en: "first or last name missing", fr: "prénom ou nom manquant";
    RowNameTooLong => en: "name over 80 characters", fr: "nom de plus de 80 caractères";
    RowUnknownLanguage => en: "unknown language “{text}”", fr: "langue inconnue « {text} »";
    RowUnknownCourse => en: "no course with the code “{code}”", fr: "aucune formation avec le code « {code} »";
    RowAlreadyMember => en: "already a member", fr: "déjà membre";
    RowAlreadyInvited => en: "already invited: not sent again", fr: "déjà invité : pas de nouvel envoi";
    NavLearning => en: "My learning", fr: "Mon apprentissage";
    LearningLead => en: "Your courses in every organization that trains you, with how far you are. “Continue” opens the course, already signed in.", fr: "Vos formations dans chaque organisation qui vous forme, avec votre avancement. « Continuer » ouvre la formation, déjà connecté.";
    LearningNone => en: "You are not in any course yet. Your trainers put you in courses: they appear here.", fr: "Vous n'êtes inscrit à aucune formation pour l'instant. Vos formateurs vous inscrivent : vos formations apparaîtront ici.";
    LearningContinue => en: "Continue", fr: "Continuer";
    LearningStart => en: "Start", fr: "Commencer";
    LearningReview => en: "Review", fr: "Revoir";
    PlanModulesIncluded => en: "Modules included:", fr: "Modules inclus :";
    PlanModulesOptional => en: "Modules you may add:", fr: "Modules à ajouter si vous le souhaitez :";
    DomainField => en: "Your own domain", fr: "Votre propre domaine";
    DomainAdd => en: "Use this domain", fr: "Utiliser ce domaine";
    DomainPending => en: "waiting for its DNS records", fr: "en attente de ses enregistrements DNS";
    DomainVerified => en: "verified, being set up", fr: "vérifié, en cours de mise en place";
    DomainBound => en: "active, its certificate requested", fr: "actif, son certificat demandé";
    DomainRecordsLead => en: "Create these records at your DNS provider; we check them every few minutes, or now:", fr: "Créez ces enregistrements chez votre hébergeur DNS ; nous les vérifions toutes les quelques minutes, ou maintenant :";
    DomainRecordType => en: "Type", fr: "Type";
    DomainRecordName => en: "Name", fr: "Nom";
    DomainRecordValue => en: "Value", fr: "Valeur";
    DomainLastChecked => en: "last checked {time}", fr: "dernière vérification le {time}";
    DomainCheckNow => en: "Check now", fr: "Vérifier maintenant";
    DomainRemove => en: "Remove the domain", fr: "Retirer le domaine";
    DomainTxtMissing => en: "TXT record not found yet", fr: "Enregistrement TXT pas encore trouvé";
    DomainTxtWrong => en: "The TXT record does not hold the value shown", fr: "L'enregistrement TXT ne contient pas la valeur indiquée";
    DomainCnameMissing => en: "CNAME record not found yet", fr: "Enregistrement CNAME pas encore trouvé";
    DomainCnameWrong => en: "The CNAME record points to {found}, not to your service", fr: "L'enregistrement CNAME pointe vers {found}, pas vers votre service";
    DomainNoAnswer => en: "The DNS did not answer", fr: "Le DNS n'a pas répondu";
    AuditDomainAdd => en: "{who} added the domain {name}", fr: "{who} a ajouté le domaine {name}";
    AuditDomainVerify => en: "{who} verified the domain {name}", fr: "{who} a vérifié le domaine {name}";
    ApiClientsTab => en: "API clients", fr: "Clients d'API";
    ApiClientsTitle => en: "API clients", fr: "Clients d'API";
    ApiClientsLead => en: "Scripts and CI pipelines use Bibind's REST API with an API client: it acts in this organization only, with the role and scopes you give it, until it expires or you revoke it.", fr: "Les scripts et les chaînes d'intégration continue utilisent l'API REST de Bibind avec un client d'API : il agit dans cette organisation seulement, avec le rôle et les droits que vous lui donnez, jusqu'à son expiration ou sa révocation.";
    ApiClientsReference => en: "The API's reference", fr: "La référence de l'API";
    ApiClientsNone => en: "No API client yet.", fr: "Aucun client d'API pour l'instant.";
    ApiClientNew => en: "New API client", fr: "Nouveau client d'API";
    ApiClientName => en: "Name", fr: "Nom";
    ApiClientLifetime => en: "Days before it expires", fr: "Jours avant expiration";
    ApiClientLifetimeHint => en: "1 to 366; blank: until revoked.", fr: "De 1 à 366 ; vide : jusqu'à révocation.";
    ApiClientScopes => en: "Scopes", fr: "Droits (scopes)";
    ApiClientCreate => en: "Create the client", fr: "Créer le client";
    ApiClientCreated => en: "API client {name} created", fr: "Client d'API {name} créé";
    ApiClientSecretOnce => en: "Copy its secret now: it is shown this once, and Bibind keeps no copy of it.", fr: "Copiez son secret maintenant : il n'est montré qu'une fois et Bibind n'en garde aucune copie.";
    ApiClientId => en: "Client id", fr: "Identifiant du client";
    ApiClientSecret => en: "Client secret", fr: "Secret du client";
    ApiClientTokenUrl => en: "Token endpoint", fr: "Point d'obtention des jetons";
    ApiClientExample => en: "Get a token (client credentials), then call the API with Authorization: Bearer <token>:", fr: "Obtenez un jeton (client credentials), puis appelez l'API avec Authorization: Bearer <jeton> :";
    ApiClientState => en: "State", fr: "État";
    ApiClientActive => en: "Active", fr: "Actif";
    ApiClientExpired => en: "Expired", fr: "Expiré";
    ApiClientRevoked => en: "Revoked", fr: "Révoqué";
    ApiClientMadeBy => en: "Created by", fr: "Créé par";
    ApiClientExpires => en: "Expires", fr: "Expire";
    ApiClientNoExpiry => en: "Never (until revoked)", fr: "Jamais (jusqu'à révocation)";
    ApiClientLastUsed => en: "Last used", fr: "Dernière utilisation";
    ApiClientNeverUsed => en: "Never", fr: "Jamais";
    ApiClientRevoke => en: "Revoke", fr: "Révoquer";
    AuditApiClientCreate => en: "{who} created the API client {name} (acting as {role})", fr: "{who} a créé le client d'API {name} (agissant comme {role})";
    AuditApiClientRevoke => en: "{who} revoked the API client {name}", fr: "{who} a révoqué le client d'API {name}";
    AuditDomainRemove => en: "{who} removed the domain {name}", fr: "{who} a retiré le domaine {name}";
    PlanFieldIncludedModules => en: "Modules included (codes, separated by commas)", fr: "Modules inclus (codes séparés par des virgules)";
    PlanFieldOptionalModules => en: "Modules customers may add", fr: "Modules que les clients peuvent ajouter";
    PlanFieldModulesHint => en: "Known modules:", fr: "Modules connus :";
    ModulesLead => en: "What your plan includes, and the modules you may add or remove at any time. Each change is applied to your service within a few minutes.", fr: "Ce que votre formule inclut, et les modules que vous pouvez ajouter ou retirer à tout moment. Chaque changement est appliqué à votre service en quelques minutes.";
    ModulesNone => en: "Modules come with a shop or a training space: subscribe to one first.", fr: "Les modules accompagnent une boutique ou un espace de formation : souscrivez d'abord à l'un d'eux.";
    ModulesNoneInPlan => en: "Your plan offers no module.", fr: "Votre formule ne propose aucun module.";
    ModulesChanging => en: "Your modules are being installed or removed…", fr: "Vos modules sont en cours d'installation ou de retrait…";
    ModuleIncluded => en: "Included in your plan", fr: "Inclus dans votre formule";
    ModuleOptional => en: "Optional", fr: "En option";
    ModuleInstalled => en: "Installed", fr: "Installé";
    ModuleNotInstalled => en: "Not installed", fr: "Non installé";
    ModuleInstalling => en: "Being installed", fr: "En cours d'installation";
    ModuleRemoving => en: "Being removed", fr: "En cours de retrait";
    ModuleAdd => en: "Add", fr: "Ajouter";
    ModuleRemove => en: "Remove", fr: "Retirer";
    ModuleWishlist => en: "Wishlist", fr: "Liste de souhaits";
    ModuleWishlistPurpose => en: "Shoppers keep products for later.", fr: "Vos clients gardent des produits pour plus tard.";
    ModuleComparison => en: "Product comparison", fr: "Comparateur de produits";
    ModuleComparisonPurpose => en: "Shoppers compare products side by side.", fr: "Vos clients comparent les produits côte à côte.";
    ModuleStock => en: "Stock availability", fr: "Disponibilité en stock";
    ModuleStockPurpose => en: "The shop shows what is in stock (brings Inventory).", fr: "La boutique affiche ce qui est en stock (ajoute l'Inventaire).";
    ModuleBlog => en: "Blog", fr: "Blog";
    ModuleBlogPurpose => en: "Publish articles on your site.", fr: "Publiez des articles sur votre site.";
    ModuleForum => en: "Course forums", fr: "Forums de cours";
    ModuleForumPurpose => en: "A forum for each course's learners.", fr: "Un forum pour les apprenants de chaque cours.";
    ModuleCertifications => en: "Certifications", fr: "Certifications";
    ModuleCertificationsPurpose => en: "Certify learners at the end of a course (brings Surveys).", fr: "Certifiez les apprenants en fin de cours (ajoute les Sondages).";
    ProblemNotOffered => en: "Your plan does not offer this.", fr: "Votre formule ne le propose pas.";
    ProblemNotJson => en: "This is not valid JSON, for example {\"led\": \"on\"}.", fr: "Ce n’est pas du JSON valide, par exemple {\"led\": \"on\"}.";
    ProblemNotASubdomain => en: "Use a subdomain such as shop.example.fr: a domain itself cannot point to another name.", fr: "Utilisez un sous-domaine comme boutique.exemple.fr : un domaine lui-même ne peut pas pointer vers un autre nom.";
    AuditCourseAssign => en: "{who} put {learners} in the course {name}", fr: "{who} a inscrit {learners} à la formation {name}";
    AuditCourseRemove => en: "{who} took {learners} out of the course {name}", fr: "{who} a désinscrit {learners} de la formation {name}";
    AuditModuleAdd => en: "{who} added the module {name}", fr: "{who} a ajouté le module {name}";
    AuditModuleRemove => en: "{who} removed the module {name}", fr: "{who} a retiré le module {name}";
    StepOdooWebsite => en: "Site named after the organization", fr: "Site au nom de l’organisation";
    StepHydraClient => en: "Single sign-on client", fr: "Client de connexion unique";
    StepOdooSso => en: "Sign in with Bibind", fr: "Connexion avec Bibind";
    StepOdooCourses => en: "Your learners' courses", fr: "Formations de vos apprenants";
    StepOdooUsers => en: "Your team's accounts", fr: "Comptes de votre équipe";
    StepMarkRunning => en: "Service ready", fr: "Service prêt";
    StepKubeScaleDown => en: "Application stopped", fr: "Application arrêtée";
    StepHydraDisable => en: "Sign-in paused", fr: "Connexion suspendue";
    StepMqttDisable => en: "Devices paused", fr: "Objets suspendus";
    StepOpenstackDisable => en: "Cloud project paused", fr: "Projet cloud suspendu";
    StepMarkSuspended => en: "Service suspended", fr: "Service suspendu";
    StepKubeScaleUp => en: "Application restarted", fr: "Application redémarrée";
    StepHydraEnable => en: "Sign-in restored", fr: "Connexion rétablie";
    StepMqttEnable => en: "Devices restored", fr: "Objets rétablis";
    StepOpenstackEnable => en: "Cloud project restored", fr: "Projet cloud rétabli";
    StepOdooDrop => en: "Odoo database removed", fr: "Base Odoo supprimée";
    StepAwxDropDatabase => en: "Database removed", fr: "Base de données supprimée";
    StepHydraRemove => en: "Sign-in client removed", fr: "Client de connexion supprimé";
    StepMqttRemove => en: "Device access removed", fr: "Accès des objets supprimé";
    StepGitlabRemove => en: "Image registry removed", fr: "Registre d'images supprimé";
    StepOpenstackRemove => en: "Cloud project removed", fr: "Projet cloud supprimé";
    StepKubeRemove => en: "Space removed", fr: "Espace supprimé";
    StepVaultRemove => en: "Secrets erased", fr: "Secrets effacés";
    StepMarkClosed => en: "Service closed", fr: "Service fermé";
    StepBackupOdoo => en: "Application data saved and encrypted", fr: "Données de l'application sauvegardées et chiffrées";
    StepBackupTelemetry => en: "Device data saved and encrypted", fr: "Données des objets sauvegardées et chiffrées";
    StepBackupOffsite => en: "Copy kept off site", fr: "Copie conservée hors site";
    StepRestoreOdooStage => en: "Backup restored beside the application", fr: "Sauvegarde restaurée à côté de l'application";
    StepRestoreOdooSwap => en: "Restored data put in place", fr: "Données restaurées mises en place";
    StepRestoreTelemetry => en: "Device data restored", fr: "Données des objets restaurées";
    StepDrillRestore => en: "Backup restored aside and checked", fr: "Sauvegarde restaurée à part et vérifiée";
    TenantJobs => en: "Provisioning jobs", fr: "Tâches de provisionnement";
    JobsNone => en: "No job yet.", fr: "Aucune tâche pour l'instant.";
    JobRetry => en: "Retry from the failed step", fr: "Reprendre à l'étape en échec";
    JobCancel => en: "Cancel the job", fr: "Annuler la tâche";
    JobOutput => en: "Output", fr: "Sortie";
    JobLastError => en: "Error:", fr: "Erreur :";
    JobStep => en: "Step", fr: "Étape";
    JobAttempts => en: "Attempts", fr: "Tentatives";
    JobRanBy => en: "Worker", fr: "Exécuté par";
    JobStateQueued => en: "Queued", fr: "En file d'attente";
    JobStateRunning => en: "Running", fr: "En cours";
    JobStateWaiting => en: "Waiting to try again", fr: "En attente d'un nouvel essai";
    JobStateSucceeded => en: "Succeeded", fr: "Réussie";
    JobStateFailed => en: "Failed", fr: "En échec";
    JobStateCancelled => en: "Cancelled", fr: "Annulée";
    StepStatePending => en: "To do", fr: "À faire";
    StepStateRunning => en: "Running", fr: "En cours";
    StepStateDone => en: "Done", fr: "Faite";
    StepStateFailed => en: "Failed", fr: "En échec";
    QuotaPlainCpu => en: "CPU", fr: "CPU";
    QuotaPlainMemory => en: "Memory", fr: "Mémoire";
    QuotaPlainStorage => en: "Storage", fr: "Stockage";
    QuotaPlainBackup => en: "Backup retention", fr: "Rétention des sauvegardes";
    QuotaPlainOsRam => en: "OpenStack RAM", fr: "RAM OpenStack";
    UsageMeasuredNote => en: "CPU, memory and storage: what your service really uses, measured {time}. Below each bar, what is set aside for it on our platform.", fr: "CPU, mémoire et stockage : ce que votre service utilise réellement, mesuré le {time}. Sous chaque barre, ce qui lui est réservé sur notre plateforme.";
    UsageNotMeasured => en: "CPU, memory and storage: not measured yet.", fr: "CPU, mémoire et stockage : pas encore mesurés.";
    QuotaReservedAmount => en: "{amount} reserved", fr: "{amount} réservés";
    QuotaUseNotMeasured => en: "use not measured", fr: "utilisation non mesurée";
    SignInFor => en: "To continue to {application}.", fr: "Pour continuer vers {application}.";
    DayOne => en: "day", fr: "jour";
    DayOther => en: "days", fr: "jours";
    PriceMonthlyOrYearly => en: "{monthly} per month, or {yearly} per year", fr: "{monthly} par mois, ou {yearly} par an";
    ChoosePlan => en: "Choose this plan", fr: "Choisir cette formule";
    PlanReviewTitle => en: "Review your plan", fr: "Vérifiez votre formule";
    PlanReviewLead => en: "For {organization}", fr: "Pour {organization}";
    PlanReviewFrom => en: "Instead of your current plan, {plan}.", fr: "À la place de votre formule actuelle, {plan}.";
    PlanIncludes => en: "What it includes", fr: "Ce qu'elle comprend";
    PlanNeedsReview => en: "Our team reviews this plan before it takes effect: your organization's page shows when it is approved.", fr: "Notre équipe valide cette formule avant qu'elle ne prenne effet : la page de votre organisation indique quand elle est validée.";
    PlanChanges => en: "What changes", fr: "Ce qui change";
    PlanQuota => en: "Resource", fr: "Ressource";
    PlanUsed => en: "In use", fr: "Utilisé";
    QuotaUp => en: "(more)", fr: "(plus)";
    QuotaDown => en: "(less)", fr: "(moins)";
    QuotaSame => en: "(unchanged)", fr: "(inchangé)";
    PlanConfirm => en: "Confirm", fr: "Confirmer";
    PlanBack => en: "Back to the organization", fr: "Retour à l'organisation";
    PlanAlreadyCurrent => en: "This is already your plan: there is nothing to change.", fr: "C'est déjà votre formule : il n'y a rien à changer.";
    PlanPickOrganization => en: "Which organization is this plan for?", fr: "Pour quelle organisation est cette formule ?";
    PlanForOrganization => en: "Continue", fr: "Continuer";
    QuotaNameCpu => en: "CPU (millicores)", fr: "CPU (millicœurs)";
    QuotaNameMemory => en: "Memory (MiB)", fr: "Mémoire (Mio)";
    QuotaNameStorage => en: "Storage (GiB)", fr: "Stockage (Gio)";
    QuotaNameSeats => en: "User seats", fr: "Places utilisateurs";
    QuotaNameDevices => en: "Devices", fr: "Objets connectés";
    QuotaNameBackup => en: "Backup retention (days)", fr: "Rétention des sauvegardes (jours)";
    QuotaNameOsVcpus => en: "OpenStack vCPUs", fr: "vCPU OpenStack";
    QuotaNameOsRam => en: "OpenStack RAM (MiB)", fr: "RAM OpenStack (Mio)";
    QuotaNameOsInstances => en: "OpenStack instances", fr: "Instances OpenStack";
    RefusedQuota => en: "Refused: {quota} would reach {requested}, over the limit of {limit}. Choose a larger plan or free some up.", fr: "Refusé : {quota} passerait à {requested}, au-delà de la limite de {limit}. Choisissez une formule plus grande ou libérez-en.";
    RefusedLastOwner => en: "An organization always keeps an owner: make someone else owner first.", fr: "Une organisation garde toujours un propriétaire : nommez d'abord quelqu'un d'autre propriétaire.";
    RefusedStale => en: "Someone changed this meanwhile. Here is the current state: check it and try again.", fr: "Quelqu'un l'a modifié entre-temps. Voici l'état actuel : vérifiez-le et recommencez.";
    RefusedWrongState => en: "This is not possible in its current state.", fr: "Ce n'est pas possible dans son état actuel.";
    RefusedAlreadySubscribed => en: "Your organization already has this service: change its plan instead.", fr: "Votre organisation a déjà ce service : changez plutôt de formule.";
    RefusedAlreadyMember => en: "This person is already a member.", fr: "Cette personne est déjà membre.";
    RefusedFormExpired => en: "This form had expired and nothing was changed: check it and send it again.", fr: "Ce formulaire avait expiré et rien n'a été modifié : vérifiez-le et envoyez-le à nouveau.";
    RefusedInvitationGone => en: "This invitation is no longer valid: it was used, withdrawn or has expired. Ask for a new one.", fr: "Cette invitation n'est plus valable : elle a servi, a été retirée ou a expiré. Demandez-en une nouvelle.";
    RefusedWrongAccount => en: "This invitation was sent to another address. Sign in with that address to accept it.", fr: "Cette invitation a été envoyée à une autre adresse. Connectez-vous avec cette adresse pour l'accepter.";
    RefusedFields => en: "Some fields need your attention.", fr: "Certains champs demandent votre attention.";
    RefusedAddressNotVerified => en: "Verify your e-mail address first: this needs an address you have proven is yours. Nothing was changed; an invitation waits for you meanwhile.", fr: "Vérifiez d'abord votre adresse e-mail : cette action demande une adresse dont vous avez prouvé qu'elle est la vôtre. Rien n'a été modifié ; une invitation vous attend en attendant.";
    VerifyAddressLink => en: "Verify my address", fr: "Vérifier mon adresse";
    RefusedLimit => en: "Refused: {current} {limit} already, and the most allowed is {allowed}. Nothing was changed; contact Bibind if you need more.", fr: "Refusé : déjà {current} {limit}, et le maximum autorisé est {allowed}. Rien n'a été modifié ; contactez Bibind s'il vous en faut davantage.";
    LimitOrganizationsPerAccount => en: "organizations you own", fr: "organisations dont vous êtes propriétaire";
    LimitPendingSubscriptions => en: "services of this organization waiting to be set up", fr: "services de cette organisation en attente de mise en place";
    LimitSubscriptionsPerAddress => en: "services ordered from your network address in the last hour", fr: "services commandés depuis votre adresse réseau dans la dernière heure";
    InvitationTitle => en: "You are invited", fr: "Vous êtes invité·e";
    InvitationOrganization => en: "Organization", fr: "Organisation";
    InvitationInvitedBy => en: "Invited by", fr: "Invité·e par";
    InvitationFor => en: "Sent to", fr: "Envoyée à";
    InvitationAccept => en: "Join the organization", fr: "Rejoindre l'organisation";
    InvitationSignInFirst => en: "Sign in, or create your account with this address, to accept.", fr: "Connectez-vous, ou créez votre compte avec cette adresse, pour accepter.";
    InvitationOtherAccount => en: "You are signed in with another address than the one invited. Sign out, then sign in or sign up with the invited address.", fr: "Vous êtes connecté·e avec une autre adresse que celle invitée. Déconnectez-vous, puis connectez-vous ou inscrivez-vous avec l'adresse invitée.";
    InvitationGoneTitle => en: "This invitation is no longer valid", fr: "Cette invitation n'est plus valable";
    DeniedTitle => en: "You cannot do this", fr: "Vous ne pouvez pas faire cela";
    DeniedBody => en: "Your role in this organization does not allow it. Ask one of its owners or administrators.", fr: "Votre rôle dans cette organisation ne le permet pas. Demandez à l'un de ses propriétaires ou administrateurs.";
    AuditTitle => en: "Audit log", fr: "Journal d'audit";
    AuditWho => en: "Who", fr: "Qui";
    AuditAction => en: "Action", fr: "Action";
    AuditTarget => en: "On", fr: "Sur";
    AuditChange => en: "Change", fr: "Modification";
    AuditRequest => en: "Request", fr: "Requête";
    AuditAddress => en: "IP address", fr: "Adresse IP";
    AuditFilterAction => en: "Action starts with", fr: "L'action commence par";
    AuditFilterActor => en: "By (e-mail starts with)", fr: "Par (début de l'e-mail)";
    AuditFilterSince => en: "From (YYYY-MM-DD)", fr: "Du (AAAA-MM-JJ)";
    AuditFilterUntil => en: "To (YYYY-MM-DD)", fr: "Au (AAAA-MM-JJ)";
    AuditFilterApply => en: "Filter", fr: "Filtrer";
    AuditOlder => en: "Older entries", fr: "Entrées plus anciennes";
    AuditEmpty => en: "No entry matches.", fr: "Aucune entrée ne correspond.";
    AuditDetails => en: "Details", fr: "Détails";
    AuditSomeService => en: "unknown", fr: "inconnu";
    AuditSomeone => en: "someone", fr: "quelqu'un";
    AuditLimitOrganizations => en: "organizations owned by one account", fr: "organisations possédées par un même compte";
    AuditLimitPending => en: "subscriptions waiting in one organization", fr: "souscriptions en attente dans une même organisation";
    AuditLimitPerAddress => en: "subscriptions asked for from one address in an hour", fr: "souscriptions demandées depuis une même adresse en une heure";
    AuditPlanValue => en: "the plan's value", fr: "la valeur de la formule";
    AuditOrganizationCreate => en: "{who} created the organization {name}", fr: "{who} a créé l'organisation {name}";
    AuditInvitationCreate => en: "{who} invited {email} with the role {role}", fr: "{who} a invité {email} avec le rôle {role}";
    AuditInvitationRevoke => en: "{who} withdrew the invitation sent to {email}", fr: "{who} a retiré l'invitation envoyée à {email}";
    AuditMembershipJoin => en: "{who} joined the organization with the role {role}", fr: "{who} a rejoint l'organisation avec le rôle {role}";
    AuditMembershipLeave => en: "{who} left the organization", fr: "{who} a quitté l'organisation";
    AuditMembershipRemove => en: "{who} removed {email} from the organization", fr: "{who} a retiré {email} de l'organisation";
    AuditMembershipRoleChange => en: "{who} changed the role of {email}: {before} → {after}", fr: "{who} a changé le rôle de {email} : {before} → {after}";
    AuditSubscriptionCreate => en: "{who} subscribed to {offer}, plan {plan}", fr: "{who} a souscrit à l'offre {offer}, formule {plan}";
    AuditSubscriptionChangePlan => en: "{who} changed the {offer} plan: {before} → {after}", fr: "{who} a changé la formule {offer} : {before} → {after}";
    AuditSubscriptionRequestPlanChange => en: "{who} asked to change the {offer} plan: {before} → {after}, to be reviewed by Bibind", fr: "{who} a demandé à changer la formule {offer} : {before} → {after}, soumis à validation par Bibind";
    AuditSubscriptionApprovePlanChange => en: "{who} approved the change of the {offer} plan: {before} → {after}", fr: "{who} a validé le changement de formule {offer} : {before} → {after}";
    AuditSubscriptionRejectPlanChange => en: "{who} declined the change of the {offer} plan to {after}: {reason}", fr: "{who} a refusé le passage de la formule {offer} à {after} : {reason}";
    AuditSubscriptionCancel => en: "{who} cancelled the {offer} service", fr: "{who} a résilié le service {offer}";
    AuditSubscriptionApprove => en: "{who} approved the {offer} service", fr: "{who} a validé le service {offer}";
    AuditSubscriptionReject => en: "{who} declined the {offer} service: {reason}", fr: "{who} a refusé le service {offer} : {reason}";
    AuditServiceActive => en: "Your {offer} service is active", fr: "Votre service {offer} est actif";
    AuditServiceFailed => en: "Setting up your {offer} service failed", fr: "La mise en place de votre service {offer} a échoué";
    AuditServiceClosed => en: "Your {offer} service is closed", fr: "Votre service {offer} est fermé";
    AuditServiceState => en: "Your {offer} service: {before} → {after}", fr: "Votre service {offer} : {before} → {after}";
    AuditSubscriptionDrift => en: "Bibind found your {offer} service changed outside the portal and put it back as it should be", fr: "Bibind a trouvé votre service {offer} modifié hors du portail et l'a remis en état";
    AuditDeviceRegister => en: "{who} registered the device {name}", fr: "{who} a enregistré l'objet {name}";
    AuditDeviceRemove => en: "{who} removed the device {name}", fr: "{who} a retiré l'objet {name}";
    AuditDeviceRotate => en: "{who} gave the device {name} a new password", fr: "{who} a donné un nouveau mot de passe à l'objet {name}";
    AuditDeviceDisable => en: "{who} turned off the device {name}", fr: "{who} a désactivé l'objet {name}";
    AuditDeviceEnable => en: "{who} turned the device {name} back on", fr: "{who} a réactivé l'objet {name}";
    AuditDeviceCommand => en: "{who} sent a command to the device {name}", fr: "{who} a envoyé une commande à l'objet {name}";
    BackupsLink => en: "Backups", fr: "Sauvegardes";
    AdminNavBackups => en: "Backups", fr: "Sauvegardes";
    AdminBackupsTitle => en: "Backups", fr: "Sauvegardes";
    AdminBackupsLead => en: "Running services whose backups need a look: failing, missing for more than a day, off-site copy late, or a restore drill that failed.", fr: "Services en marche dont les sauvegardes demandent un coup d'œil : en échec, absentes depuis plus d'un jour, copie hors site en retard, ou exercice de restauration échoué.";
    AdminBackupsAllLead => en: "Every running service and its backups.", fr: "Tous les services en marche et leurs sauvegardes.";
    AdminBackupsShowAll => en: "Show every service", fr: "Voir tous les services";
    AdminBackupsShowAttention => en: "Show only those that need a look", fr: "Ne voir que ceux qui demandent un coup d'œil";
    AdminBackupsNone => en: "Nothing to show.", fr: "Rien à afficher.";
    AdminBackupsTenant => en: "Tenant", fr: "Client";
    AdminBackupsLastStored => en: "Last backup", fr: "Dernière sauvegarde";
    AdminBackupsFailures => en: "Failures in a row", fr: "Échecs d'affilée";
    AdminBackupsOffsiteLate => en: "Off-site copies late", fr: "Copies hors site en retard";
    AdminBackupsMissing => en: "missing", fr: "manquante";
    AdminBackupsDrillFailed => en: "Last drill failed:", fr: "Dernier exercice échoué :";
    BackupsTitle => en: "Backups", fr: "Sauvegardes";
    BackupsLead => en: "A backup of this service is taken every day at {time} (UTC) and kept {days} days. Each one is encrypted with your organization's own key before it is stored, and copied to a second site.", fr: "Une sauvegarde de ce service est faite chaque jour à {time} (UTC) et conservée {days} jours. Chacune est chiffrée avec la clé propre à votre organisation avant d'être stockée, puis copiée sur un second site.";
    BackupsNone => en: "No backup yet.", fr: "Aucune sauvegarde pour l'instant.";
    BackupsBack => en: "Back to services", fr: "Retour aux services";
    BackupTakeNow => en: "Back up now", fr: "Sauvegarder maintenant";
    BackupBusy => en: "Another operation on this service is under way: backups and restores wait for it to end.", fr: "Une autre opération sur ce service est en cours : sauvegardes et restaurations attendent qu'elle se termine.";
    BackupTimeField => en: "Daily backup at (UTC)", fr: "Sauvegarde quotidienne à (UTC)";
    BackupTimeSave => en: "Save", fr: "Enregistrer";
    BackupRefreshNote => en: "A backup or restore is under way.", fr: "Une sauvegarde ou une restauration est en cours.";
    BackupRefresh => en: "Refresh", fr: "Actualiser";
    BackupTaken => en: "The backup has started; it appears below when it is stored.", fr: "La sauvegarde a commencé ; elle apparaît ci-dessous une fois stockée.";
    BackupRestoring => en: "The restore has started: the service stops, gets the backup's data, and starts again.", fr: "La restauration a commencé : le service s'arrête, reprend les données de la sauvegarde, puis redémarre.";
    BackupScheduled => en: "The daily backup time is saved.", fr: "L'heure de la sauvegarde quotidienne est enregistrée.";
    BackupTakenAt => en: "Taken", fr: "Faite le";
    BackupState => en: "State", fr: "État";
    BackupSize => en: "Size", fr: "Taille";
    BackupChecksum => en: "Checksum (SHA-256)", fr: "Empreinte (SHA-256)";
    BackupOffsite => en: "Off-site copy", fr: "Copie hors site";
    BackupExpires => en: "Kept until", fr: "Conservée jusqu'au";
    BackupVerified => en: "Last verified restore", fr: "Dernière restauration vérifiée";
    BackupActions => en: "Actions", fr: "Actions";
    BackupInProgress => en: "In progress", fr: "En cours";
    BackupFailed => en: "Failed", fr: "Échouée";
    BackupStored => en: "Stored", fr: "Stockée";
    BackupExpired => en: "Expired (removed)", fr: "Expirée (supprimée)";
    BackupOffsiteCopied => en: "Copied", fr: "Copiée";
    BackupOffsitePending => en: "Being copied", fr: "Copie en cours";
    BackupOffsiteLate => en: "Late", fr: "En retard";
    BackupNotApplicable => en: "—", fr: "—";
    BackupNotVerified => en: "Not yet", fr: "Pas encore";
    BackupScheduledOrigin => en: "daily", fr: "quotidienne";
    BackupOnDemandOrigin => en: "on demand", fr: "à la demande";
    BackupEarlierService => en: "of your earlier service, now closed", fr: "de votre service précédent, fermé depuis";
    BackupDownload => en: "Download", fr: "Télécharger";
    BackupRestore => en: "Restore…", fr: "Restaurer…";
    BackupRestoreWarning => en: "Restoring replaces all of the service's current data with this backup's. The service stops during the restore.", fr: "La restauration remplace toutes les données actuelles du service par celles de cette sauvegarde. Le service est arrêté pendant la restauration.";
    BackupConfirmField => en: "Type {slug} to confirm", fr: "Tapez {slug} pour confirmer";
    BackupRestoreConfirm => en: "Restore this backup", fr: "Restaurer cette sauvegarde";
    AuditBackupTake => en: "{who} took a backup of a service", fr: "{who} a lancé une sauvegarde d'un service";
    AuditBackupRestore => en: "{who} restored a backup into its service", fr: "{who} a restauré une sauvegarde dans son service";
    AuditBackupDownload => en: "{who} made a download link of a backup", fr: "{who} a créé un lien de téléchargement d'une sauvegarde";
    AuditBackupSchedule => en: "{who} changed when a service's daily backup is taken", fr: "{who} a changé l'heure de la sauvegarde quotidienne d'un service";
    AuditDeviceCredentialsShow => en: "{who} was shown the password of the device {name}", fr: "{who} a vu le mot de passe de l'objet {name}";
    AuditTenantApprove => en: "{who} approved the organization", fr: "{who} a validé l'organisation";
    AuditTenantReject => en: "{who} declined the organization: {reason}", fr: "{who} a refusé l'organisation : {reason}";
    AuditTenantSuspend => en: "{who} suspended the organization: {reason}", fr: "{who} a suspendu l'organisation : {reason}";
    AuditTenantResume => en: "{who} resumed the organization: {reason}", fr: "{who} a rétabli l'organisation : {reason}";
    AuditTenantClose => en: "{who} closed the organization: {reason}", fr: "{who} a fermé l'organisation : {reason}";
    AuditQuotaOverride => en: "{who} changed a limit of the {offer} service: {before} → {after}", fr: "{who} a modifié une limite du service {offer} : {before} → {after}";
    AuditJobRetry => en: "{who} restarted a setup job", fr: "{who} a relancé une tâche de mise en place";
    AuditJobCancel => en: "{who} cancelled a setup job", fr: "{who} a annulé une tâche de mise en place";
    AuditPlanCreate => en: "{who} created the plan {plan}", fr: "{who} a créé la formule {plan}";
    AuditPlanUpdate => en: "{who} changed the terms of the plan {plan}", fr: "{who} a modifié les conditions de la formule {plan}";
    AuditPlanRetire => en: "{who} took the plan {plan} off sale", fr: "{who} a retiré la formule {plan} de la vente";
    AuditPlanRestore => en: "{who} put the plan {plan} back on sale", fr: "{who} a remis la formule {plan} en vente";
    AuditLimitRefused => en: "A request by {who} was refused: {current} {limit} already, at most {allowed}", fr: "Une demande de {who} a été refusée : déjà {current} {limit}, au plus {allowed}";
    AuditRateRefused => en: "A request by {who} was refused: more than {allowed} attempts in a short time", fr: "Une demande de {who} a été refusée : plus de {allowed} tentatives en peu de temps";
    OfferNameEcommerce => en: "E-commerce", fr: "E-commerce";
    OfferNameTraining => en: "Training", fr: "Formation";
    OfferNameIot => en: "IoT", fr: "IoT";
    ProblemMismatch => en: "This does not match.", fr: "Ce n'est pas identique.";
    ProblemNotANumber => en: "Write a whole number, such as 12.", fr: "Écrivez un nombre entier, par exemple 12.";
    ProblemOutOfRange => en: "This number is too large.", fr: "Ce nombre est trop grand.";
    ProblemInvalidPrice => en: "Write an amount such as 49 or 49.90.", fr: "Écrivez un montant comme 49 ou 49,90.";
    DevicesTitle => en: "Devices", fr: "Objets connectés";
    DeviceName => en: "Device name (its MQTT client id)", fr: "Nom de l'objet (son identifiant client MQTT)";
    DeviceRegister => en: "Register a device", fr: "Enregistrer un objet";
    DeviceRemove => en: "Remove", fr: "Retirer";
    DeviceDetailsLink => en: "Connection", fr: "Connexion";
    DeviceStatusSettingUp => en: "Being set up", fr: "En cours de création";
    DeviceStatusRotating => en: "New password being applied", fr: "Nouveau mot de passe en cours";
    DeviceStatusActive => en: "Active", fr: "Actif";
    DeviceStatusDisabled => en: "Turned off", fr: "Désactivé";
    DeviceTitle => en: "Device {name}", fr: "Objet {name}";
    DeviceLead => en: "Each device has its own identity on the MQTT broker: it publishes under its own topic only and hears its own commands only. Its password is shown once; give it a new one whenever you need.", fr: "Chaque objet a sa propre identité sur le broker MQTT : il ne publie que sous son propre sujet et n'entend que ses propres commandes. Son mot de passe s'affiche une seule fois ; donnez-lui-en un nouveau quand vous le souhaitez.";
    DeviceStatusLabel => en: "Status", fr: "État";
    DeviceRegisteredOn => en: "Registered on", fr: "Enregistré le";
    DeviceHost => en: "Broker", fr: "Broker";
    DevicePort => en: "Port", fr: "Port";
    DeviceTls => en: "TLS", fr: "TLS";
    DeviceTlsYes => en: "yes", fr: "oui";
    DeviceTlsNo => en: "no (this machine only)", fr: "non (cette machine seulement)";
    DeviceUsername => en: "Username", fr: "Nom d'utilisateur";
    DevicePassword => en: "Password", fr: "Mot de passe";
    DevicePublishesUnder => en: "Publishes under", fr: "Publie sous";
    DeviceHears => en: "Receives its commands on", fr: "Reçoit ses commandes sur";
    DeviceTopicsLead => en: "Topics: telemetry under {topic}/… (for example {topic}/telemetry, a JSON object of numbers); commands arrive on {commands}, which the device cannot publish to. Any other topic is refused by the broker.", fr: "Sujets : la télémétrie sous {topic}/… (par exemple {topic}/telemetry, un objet JSON de nombres) ; les commandes arrivent sur {commands}, où l'objet ne peut pas publier. Le broker refuse tout autre sujet.";
    DeviceExample => en: "Try it with mosquitto_pub", fr: "Essayez avec mosquitto_pub";
    DevicePasswordPlaceholder => en: "<its password>", fr: "<son mot de passe>";
    DeviceShowPassword => en: "Show the password (once)", fr: "Afficher le mot de passe (une fois)";
    DevicePasswordWaiting => en: "Its password will be ready once the broker has it: reload this page in a moment.", fr: "Son mot de passe sera prêt dès que le broker l'aura : rechargez cette page dans un instant.";
    DevicePasswordWasShown => en: "Its password was shown already. Lost it? Give the device a new one.", fr: "Son mot de passe a déjà été affiché. Perdu ? Donnez-en un nouveau à l'objet.";
    DeviceRotate => en: "New password", fr: "Nouveau mot de passe";
    DeviceDisable => en: "Turn off", fr: "Désactiver";
    DeviceEnable => en: "Turn on", fr: "Réactiver";
    PlanFieldTelemetry => en: "What devices may send (plans with devices; blank: 60 a minute per device, 3,000 per organization, kept 7 days)", fr: "Ce que les objets peuvent envoyer (offres avec objets ; vide : 60 par minute et par objet, 3 000 par organisation, gardés 7 jours)";
    PlanFieldDeviceRate => en: "Messages a minute per device", fr: "Messages par minute et par objet";
    PlanFieldOrganizationRate => en: "Messages a minute per organization", fr: "Messages par minute et par organisation";
    PlanFieldTelemetryRetention => en: "Days messages are kept", fr: "Jours de conservation des messages";
    TelemetryTitle => en: "What it sends", fr: "Ce qu’il envoie";
    TelemetryFormat => en: "Publish JSON such as {\"temperature\": 21.5} under its topic: each numeric field is charted (nested objects as env.humidity; a bare number is named after its topic). Other payloads are counted and shown as they are.", fr: "Publiez du JSON comme {\"temperature\": 21.5} sous son sujet : chaque champ numérique est tracé (les objets imbriqués comme env.humidity ; un nombre seul prend le nom de son sujet). Les autres messages sont comptés et affichés tels quels.";
    TelemetryOnline => en: "Online", fr: "En ligne";
    TelemetryOffline => en: "Offline", fr: "Hors ligne";
    TelemetryLastSeen => en: "Last message {at}", fr: "Dernier message {at}";
    TelemetryNeverSeen => en: "No message received yet.", fr: "Aucun message reçu pour l’instant.";
    TelemetryRate => en: "{n} messages a minute", fr: "{n} messages par minute";
    TelemetryLimit => en: " (limit {n})", fr: " (limite {n})";
    TelemetryDropped => en: "{n} messages were dropped over the plan’s rate limit in the last hour.", fr: "{n} messages ont été rejetés au-delà de la limite de débit de l’offre dans la dernière heure.";
    TelemetryChartLabel => en: "{field} over the last hour, latest value {value}", fr: "{field} sur la dernière heure, dernière valeur {value}";
    TelemetryChartLead => en: "The last hour until {end} UTC; each point of the charts is the mean of 30 seconds.", fr: "La dernière heure jusqu’à {end} UTC ; chaque point des courbes est la moyenne de 30 secondes.";
    TelemetryNoNumbers => en: "No numeric field in the last hour.", fr: "Aucun champ numérique dans la dernière heure.";
    TelemetryField => en: "Field", fr: "Champ";
    TelemetryLatest => en: "Latest", fr: "Dernière valeur";
    TelemetryLowest => en: "Lowest", fr: "Minimum";
    TelemetryHighest => en: "Highest", fr: "Maximum";
    TelemetryRecent => en: "Latest messages", fr: "Derniers messages";
    TelemetryNotJson => en: "not JSON", fr: "pas du JSON";
    CommandTitle => en: "Send a command", fr: "Envoyer une commande";
    CommandLead => en: "A JSON message published on {topic}; the device receives it if it subscribes to that topic.", fr: "Un message JSON publié sur {topic} ; l’objet le reçoit s’il est abonné à ce sujet.";
    CommandField => en: "Command (JSON)", fr: "Commande (JSON)";
    CommandSend => en: "Send", fr: "Envoyer";
    CommandDelivered => en: "The broker accepted the command and delivered it to the device.", fr: "Le broker a accepté la commande et l’a remise à l’objet.";
    CommandNoListener => en: "The broker accepted the command, but the device does not listen to its commands (offline, or not subscribed).", fr: "Le broker a accepté la commande, mais l’objet n’écoute pas ses commandes (hors ligne, ou non abonné).";
    CommandRefused => en: "The broker refused the command.", fr: "Le broker a refusé la commande.";
    CommandUnreachable => en: "The broker did not answer: the command was not sent.", fr: "Le broker n’a pas répondu : la commande n’a pas été envoyée.";
    CommandsSent => en: "Commands sent", fr: "Commandes envoyées";
    CommandShortDelivered => en: "delivered", fr: "remise";
    CommandShortNoListener => en: "nobody listening", fr: "personne n’écoute";
    CommandShortRefused => en: "refused", fr: "refusée";
    CommandShortUnreachable => en: "broker unreachable", fr: "broker injoignable";
    DevicesCount => en: "{n} devices registered", fr: "{n} objets enregistrés";
    DevicesSearch => en: "Name begins with", fr: "Le nom commence par";
    DevicesSearchButton => en: "Search", fr: "Rechercher";
    DevicesNone => en: "No device matches.", fr: "Aucun objet ne correspond.";
    DevicesPage => en: "Page {page} of {pages}", fr: "Page {page} sur {pages}";
    DevicesPrevious => en: "Previous page", fr: "Page précédente";
    DevicesNext => en: "Next page", fr: "Page suivante";
    DevicesName => en: "Name", fr: "Nom";
    DevicesState => en: "State", fr: "État";
    DevicesActivity => en: "Activity", fr: "Activité";
    DevicesRate => en: "Messages a minute", fr: "Messages par minute";
    DevicesDropped => en: "Dropped (last hour)", fr: "Rejetés (dernière heure)";
    DevicesAll => en: "All devices ({n})", fr: "Tous les objets ({n})";
    DevicesBack => en: "Back to the devices", fr: "Retour aux objets";
    DeviceBack => en: "Back to the services", fr: "Retour aux services";
    DevicePasswordTitle => en: "Password of {name}", fr: "Mot de passe de {name}";
    DevicePasswordOnce => en: "Copy it now: it is not shown again. It works as soon as this page shows it.", fr: "Copiez-le maintenant : il ne sera plus affiché. Il fonctionne dès que cette page l'affiche.";
    DevicePasswordGone => en: "A password is shown once, right after you ask for it. To get one, give the device a new password from its page.", fr: "Un mot de passe ne s'affiche qu'une fois, juste après la demande. Pour en obtenir un, donnez un nouveau mot de passe à l'objet depuis sa page.";
    DeviceDownload => en: "Download its mosquitto_pub settings", fr: "Télécharger ses réglages mosquitto_pub";
    PlanChangeAwaiting => en: "Change to this plan awaiting approval:", fr: "Passage à cette formule en attente de validation :";
    AdminNavTenants => en: "Tenants", fr: "Clients";
    AdminNavPlans => en: "Plans", fr: "Formules";
    AdminNavAudit => en: "Audit log", fr: "Journal d'audit";
    AdminNavAdmins => en: "Administrators", fr: "Administrateurs";
    TenantsSearch => en: "Name, address or billing e-mail", fr: "Nom, adresse ou e-mail de facturation";
    TenantsState => en: "State", fr: "État";
    TenantsOffer => en: "Offer", fr: "Offre";
    TenantsPlan => en: "Plan (code)", fr: "Formule (code)";
    TenantsCountry => en: "Country", fr: "Pays";
    TenantsSort => en: "Sort by", fr: "Trier par";
    SortName => en: "Name", fr: "Nom";
    SortNewest => en: "Newest first", fr: "Plus récents d'abord";
    SortOldest => en: "Oldest first", fr: "Plus anciens d'abord";
    SortState => en: "State", fr: "État";
    SortCountry => en: "Country", fr: "Pays";
    AnyValue => en: "Any", fr: "Tous";
    TenantsApply => en: "Search", fr: "Rechercher";
    TenantFoundOne => en: "tenant found", fr: "client trouvé";
    TenantFoundOther => en: "tenants found", fr: "clients trouvés";
    PageWord => en: "Page", fr: "Page";
    OfWord => en: "of", fr: "sur";
    PreviousPage => en: "Previous", fr: "Précédent";
    NextPage => en: "Next", fr: "Suivant";
    TenantsNone => en: "No tenant matches.", fr: "Aucun client ne correspond.";
    ColMembers => en: "Members", fr: "Membres";
    ColCreated => en: "Created", fr: "Créé le";
    ColPlans => en: "Plans", fr: "Formules";
    TenantNotFound => en: "No tenant has this address.", fr: "Aucun client n'a cette adresse.";
    TenantApprove => en: "Approve", fr: "Approuver";
    TenantReject => en: "Reject", fr: "Refuser";
    TenantReason => en: "Reason (the customer reads it)", fr: "Motif (le client le lit)";
    TenantSuspend => en: "Suspend", fr: "Suspendre";
    TenantResume => en: "Resume", fr: "Rétablir";
    TenantClose => en: "Close this tenant", fr: "Fermer ce client";
    TenantCloseLead => en: "Closing removes its services and cannot be undone. Type the tenant's address to confirm:", fr: "La fermeture supprime ses services et est définitive. Tapez l'adresse du client pour confirmer :";
    TenantDone => en: "Done.", fr: "C'est fait.";
    TenantRecentAudit => en: "Recent changes", fr: "Changements récents";
    QuotaOverride => en: "Override", fr: "Dérogation";
    QuotaOverrideSet => en: "Set", fr: "Appliquer";
    QuotaOverrideHint => en: "Blank: back to the plan's quota.", fr: "Vide : retour au quota de la formule.";
    PlansTitle => en: "Plans", fr: "Formules";
    PlanNew => en: "New plan", fr: "Nouvelle formule";
    PlanEdit => en: "Edit", fr: "Modifier";
    PlanSave => en: "Save", fr: "Enregistrer";
    PlanCreate => en: "Create the plan", fr: "Créer la formule";
    PlanRetire => en: "Retire from sale", fr: "Retirer de la vente";
    PlanRestore => en: "Put back on sale", fr: "Remettre en vente";
    PlanRetiredOn => en: "Retired on", fr: "Retirée le";
    PlanOnSale => en: "On sale", fr: "En vente";
    PlanSubscriptions => en: "Subscriptions", fr: "Abonnements";
    PlanFieldCode => en: "Code", fr: "Code";
    PlanFieldNameEn => en: "Name (English)", fr: "Nom (anglais)";
    PlanFieldNameFr => en: "Name (French)", fr: "Nom (français)";
    PlanFieldPrice => en: "Monthly price (€, excl. VAT)", fr: "Prix mensuel (€ HT)";
    PlanFieldApproval => en: "Subscriptions wait for Bibind's approval", fr: "Les abonnements attendent la validation de Bibind";
    PlanFieldBlankHint => en: "Blank when the offer has none.", fr: "Vide si l'offre n'en a pas.";
    AuditExportCsv => en: "Download as CSV", fr: "Télécharger en CSV";
    AuditFilterOrganization => en: "Organization (address)", fr: "Organisation (adresse)";
} }

/// The language of the current page.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// Translates a message into the current page's language.
pub fn t(msg: Msg) -> &'static str {
    msg.text(use_locale())
}

/// [`t`] with the page's language looked up once: for a component that
/// translates many texts (each lookup walks the component tree up to where
/// the language was provided), as `let t = translator();`.
pub fn translator() -> impl Fn(Msg) -> &'static str + Copy + Send + Sync + 'static {
    let locale = use_locale();
    move |msg| msg.text(locale)
}

/// Makes the page's language available to every component. On the server the
/// shell has already provided it from the request; in the browser (each
/// island calls this) it is read back from `<html lang>`.
pub fn provide_locale() {
    if use_context::<Locale>().is_none() {
        provide_context(locale_from_document());
    }
}

#[cfg(feature = "hydrate")]
fn locale_from_document() -> Locale {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|tag| Locale::from_tag(&tag))
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn locale_from_document() -> Locale {
    Locale::default()
}

/// The language asked for by the request being rendered: the cookie first,
/// then `Accept-Language`, then English.
#[cfg(feature = "ssr")]
pub fn locale_from_request() -> Locale {
    crate::with_request(|parts| locale_from_headers(&parts.headers)).unwrap_or_default()
}

#[cfg(feature = "ssr")]
pub fn locale_from_headers(headers: &http::HeaderMap) -> Locale {
    let from_cookie = crate::cookie_value(headers, LOCALE_COOKIE).and_then(|value| Locale::from_tag(&value));
    from_cookie.unwrap_or_else(|| {
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map(Locale::negotiate)
            .unwrap_or_default()
    })
}

/// A monthly price in euro cents, written the way each language writes money.
pub fn format_price(locale: Locale, cents: u64) -> String {
    let euros = cents / 100;
    let rest = cents % 100;
    let grouped = group_thousands(euros, thousands_separator(locale));
    match (locale, rest) {
        (Locale::En, 0) => format!("€{grouped}"),
        (Locale::En, _) => format!("€{grouped}.{rest:02}"),
        (Locale::Fr, 0) => format!("{grouped}\u{a0}€"),
        (Locale::Fr, _) => format!("{grouped},{rest:02}\u{a0}€"),
    }
}

/// A count followed by its noun, singular or plural by each language's rule
/// (French treats 0 and 1 as singular).
pub fn format_count(locale: Locale, count: u64, one: Msg, other: Msg) -> String {
    let singular = match locale {
        Locale::En => count == 1,
        Locale::Fr => count <= 1,
    };
    let noun = if singular { one } else { other }.text(locale);
    format!("{} {noun}", group_thousands(count, thousands_separator(locale)))
}

fn thousands_separator(locale: Locale) -> char {
    match locale {
        Locale::En => ',',
        Locale::Fr => '\u{202f}',
    }
}

fn group_thousands(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// A memory or storage size given in MiB, in GiB when whole (Gio in French).
pub fn format_mebibytes(locale: Locale, mib: u32) -> String {
    let (gib, mib_unit) = match locale {
        Locale::En => ("GiB", "MiB"),
        Locale::Fr => ("Gio", "Mio"),
    };
    if mib >= 1024 && mib.is_multiple_of(1024) {
        format!("{}\u{a0}{gib}", mib / 1024)
    } else {
        format!("{mib}\u{a0}{mib_unit}")
    }
}

/// An instant given as `YYYY-MM-DDTHH:MM…` in UTC (RFC 3339 or the
/// database's `YYYY-MM-DD HH:MM`), as each language writes it: "4 Dec 2026,
/// 18:48 UTC", "4 déc. 2026, 18:48 UTC". The browser rewrites it in the
/// reader's own time zone (`/local-times.js`); this is what shows without
/// JavaScript. `None` when it does not read as such an instant.
pub fn format_instant(locale: Locale, instant: &str) -> Option<String> {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ];
    let number = |range: std::ops::Range<usize>| instant.get(range)?.parse::<usize>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let time = instant
        .get(11..16)
        .filter(|t| t.as_bytes().get(2) == Some(&b':'))?;
    let months = match locale {
        Locale::En => EN,
        Locale::Fr => FR,
    };
    let month = months.get(month.checked_sub(1)?)?;
    Some(format!("{day}\u{a0}{month} {year}, {time} UTC"))
}

/// CPU in millicores, as vCPUs (`0.5`, `2`; `0,5` in French).
pub fn format_cpu(locale: Locale, millicores: u32) -> String {
    let whole = millicores / 1000;
    let tenths = (millicores % 1000) / 100;
    match (tenths, locale) {
        (0, _) => whole.to_string(),
        (_, Locale::En) => format!("{whole}.{tenths}"),
        (_, Locale::Fr) => format!("{whole},{tenths}"),
    }
}

/// Consumed CPU, which is often a small share of a vCPU: two decimals
/// under one ("0.05", "0,05"), one above, "< 0.01" for a trace.
pub fn format_cpu_used(locale: Locale, millicores: u64) -> String {
    let text = match millicores {
        0 => "0".to_owned(),
        1..10 => "< 0.01".to_owned(),
        10..1000 => format!("0.{:02}", millicores / 10),
        _ => format!("{}.{}", millicores / 1000, millicores % 1000 / 100),
    };
    match locale {
        Locale::En => text,
        Locale::Fr => text.replace('.', ","),
    }
}

/// Consumed memory or storage: MiB under a GiB, else GiB with one decimal
/// ("1.5 GiB", "1,5 Gio").
pub fn format_mebibytes_used(locale: Locale, mib: u64) -> String {
    let (gib, mib_unit, point) = match locale {
        Locale::En => ("GiB", "MiB", '.'),
        Locale::Fr => ("Gio", "Mio", ','),
    };
    match (mib, mib % 1024 * 10 / 1024) {
        (..1024, _) => format!("{mib}\u{a0}{mib_unit}"),
        (_, 0) => format!("{}\u{a0}{gib}", mib / 1024),
        (_, tenths) => format!("{}{point}{tenths}\u{a0}{gib}", mib / 1024),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumption_reads_in_vcpu_and_binary_units_in_each_language() {
        assert_eq!(format_cpu_used(Locale::En, 0), "0");
        assert_eq!(format_cpu_used(Locale::En, 4), "< 0.01");
        assert_eq!(format_cpu_used(Locale::En, 49), "0.04");
        assert_eq!(format_cpu_used(Locale::Fr, 250), "0,25");
        assert_eq!(format_cpu_used(Locale::En, 1500), "1.5");
        assert_eq!(format_mebibytes_used(Locale::En, 615), "615\u{a0}MiB");
        assert_eq!(format_mebibytes_used(Locale::En, 1844), "1.8\u{a0}GiB");
        assert_eq!(format_mebibytes_used(Locale::Fr, 2560), "2,5\u{a0}Gio");
        assert_eq!(format_mebibytes_used(Locale::En, 2048), "2\u{a0}GiB");
    }

    #[test]
    fn every_message_has_both_languages() {
        for msg in Msg::ALL {
            for locale in Locale::ALL {
                assert!(
                    !msg.text(locale).trim().is_empty(),
                    "{msg:?} is empty in {locale:?}"
                );
            }
        }
    }

    #[test]
    fn prices_follow_each_language() {
        assert_eq!(format_price(Locale::En, 4900), "€49");
        assert_eq!(format_price(Locale::En, 12_345_678), "€123,456.78");
        assert_eq!(format_price(Locale::Fr, 4900), "49\u{a0}€");
        assert_eq!(format_price(Locale::Fr, 12_345_605), "123\u{202f}456,05\u{a0}€");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        let seats = |locale, n| format_count(locale, n, Msg::QuotaSeat, Msg::QuotaSeats);
        assert_eq!(seats(Locale::En, 1), "1 user seat");
        assert_eq!(seats(Locale::En, 0), "0 user seats");
        assert_eq!(seats(Locale::En, 20_000), "20,000 user seats");
        assert_eq!(seats(Locale::Fr, 0), "0 utilisateur");
        assert_eq!(seats(Locale::Fr, 2000), "2\u{202f}000 utilisateurs");
    }

    #[test]
    fn sizes_and_cpu_are_readable() {
        assert_eq!(format_mebibytes(Locale::En, 2048), "2\u{a0}GiB");
        assert_eq!(format_mebibytes(Locale::Fr, 512), "512\u{a0}Mio");
        assert_eq!(format_cpu(Locale::En, 500), "0.5");
        assert_eq!(format_cpu(Locale::Fr, 1500), "1,5");
        assert_eq!(format_cpu(Locale::Fr, 2000), "2");
    }

    #[test]
    fn instants_read_in_each_language() {
        let at = "2026-12-04T08:05:09.123Z";
        assert_eq!(
            format_instant(Locale::En, at).as_deref(),
            Some("4\u{a0}Dec 2026, 08:05 UTC")
        );
        assert_eq!(
            format_instant(Locale::Fr, "2026-02-28 23:59").as_deref(),
            Some("28\u{a0}févr. 2026, 23:59 UTC")
        );
        assert_eq!(format_instant(Locale::En, "2026-13-01T00:00Z"), None);
        assert_eq!(format_instant(Locale::En, "soon"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn cookie_wins_over_accept_language() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::ACCEPT_LANGUAGE,
            http::HeaderValue::from_static("fr-FR,fr;q=0.9"),
        );
        assert_eq!(locale_from_headers(&headers), Locale::Fr);
        headers.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("a=b; bibind_locale=en"),
        );
        assert_eq!(locale_from_headers(&headers), Locale::En);
        headers.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("bibind_locale=xx"),
        );
        assert_eq!(locale_from_headers(&headers), Locale::Fr);
    }
}
