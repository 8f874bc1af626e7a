//! Bibind's modules: the Odoo applications a plan may bring with a shop or
//! a training space beyond what every one has (`website_sale` or
//! `website_slides`, single sign-on). A plan includes some and lets the
//! customer add others; the engine installs what the plan includes and
//! what was added, and uninstalls an added one that was removed.

use serde::{Deserialize, Serialize};

use super::{FieldProblem, OfferKind};

/// A module Bibind offers, by what it does for the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OdooModule {
    /// Shoppers keep products for later.
    Wishlist,
    /// Shoppers compare products side by side.
    ProductComparison,
    /// The shop shows what is in stock (brings Inventory).
    StockAvailability,
    /// A blog on the site.
    Blog,
    /// A forum per course.
    CourseForum,
    /// Certifications at the end of courses (brings Surveys).
    Certifications,
}

impl OdooModule {
    pub const ALL: [OdooModule; 6] = [
        OdooModule::Wishlist,
        OdooModule::ProductComparison,
        OdooModule::StockAvailability,
        OdooModule::Blog,
        OdooModule::CourseForum,
        OdooModule::Certifications,
    ];

    /// Its Odoo technical name, also its code in plans and forms.
    pub fn technical_name(self) -> &'static str {
        match self {
            OdooModule::Wishlist => "website_sale_wishlist",
            OdooModule::ProductComparison => "website_sale_comparison",
            OdooModule::StockAvailability => "website_sale_stock",
            OdooModule::Blog => "website_blog",
            OdooModule::CourseForum => "website_slides_forum",
            OdooModule::Certifications => "website_slides_survey",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|module| module.technical_name() == code)
    }

    /// Whether it serves `offer`'s Odoo (a shop's modules need `website_sale`,
    /// a training space's `website_slides`).
    pub fn serves(self, offer: OfferKind) -> bool {
        match self {
            OdooModule::Wishlist | OdooModule::ProductComparison | OdooModule::StockAvailability => {
                offer == OfferKind::Ecommerce
            }
            OdooModule::CourseForum | OdooModule::Certifications => offer == OfferKind::Training,
            OdooModule::Blog => offer.runs_odoo(),
        }
    }

    /// Those serving `offer`.
    pub fn of(offer: OfferKind) -> impl Iterator<Item = OdooModule> {
        Self::ALL.into_iter().filter(move |module| module.serves(offer))
    }
}

/// What a plan says of the modules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanModules {
    /// Installed with every subscription to the plan.
    pub included: Vec<OdooModule>,
    /// The customer may add them (and remove them again).
    pub optional: Vec<OdooModule>,
}

impl PlanModules {
    /// The modules the plan's form lists (codes separated by commas or
    /// spaces), for `offer`: `(included, optional)`, each problem under
    /// its field's name.
    pub fn parse(
        offer: OfferKind,
        included: &str,
        optional: &str,
    ) -> Result<Self, Vec<(&'static str, FieldProblem)>> {
        let list = |raw: &str| -> Result<Vec<OdooModule>, FieldProblem> {
            let mut modules = Vec::new();
            for code in raw
                .split([',', ' ', '\n', '\r', '\t'])
                .filter(|code| !code.is_empty())
            {
                let module = OdooModule::parse(code)
                    .filter(|module| module.serves(offer))
                    .ok_or(FieldProblem::Unknown)?;
                if !modules.contains(&module) {
                    modules.push(module);
                }
            }
            modules.sort();
            Ok(modules)
        };
        let (included, optional) = (list(included), list(optional));
        let mut problems = Vec::new();
        if let Err(problem) = &included {
            problems.push(("included_modules", *problem));
        }
        if let Err(problem) = &optional {
            problems.push(("optional_modules", *problem));
        }
        match (included, optional) {
            (Ok(included), Ok(optional)) => {
                if optional.iter().any(|module| included.contains(module)) {
                    return Err(vec![("optional_modules", FieldProblem::Taken)]);
                }
                Ok(Self { included, optional })
            }
            _ => Err(problems),
        }
    }

    /// The form's text of a list.
    pub fn codes(modules: &[OdooModule]) -> String {
        modules
            .iter()
            .map(|module| module.technical_name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What the subscription's Odoo should have of Bibind's modules: what
    /// the plan includes, and what was added that the plan still offers.
    pub fn wanted(&self, added: &[OdooModule]) -> Vec<OdooModule> {
        let mut wanted: Vec<OdooModule> = self
            .included
            .iter()
            .chain(added.iter().filter(|module| self.optional.contains(module)))
            .copied()
            .collect();
        wanted.sort();
        wanted.dedup();
        wanted
    }
}

/// A module as the Modules tab shows it for a subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleView {
    pub module: OdooModule,
    /// Comes with the plan (not removable).
    pub included: bool,
    /// The customer asked for it (or the plan includes it).
    pub wanted: bool,
    /// Whether it is installed in the Odoo, as last seen by the engine;
    /// `None` before it looked.
    pub installed: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_each_module_serves_its_offers() {
        for module in OdooModule::ALL {
            assert_eq!(OdooModule::parse(module.technical_name()), Some(module));
        }
        assert!(OdooModule::Wishlist.serves(OfferKind::Ecommerce));
        assert!(!OdooModule::Wishlist.serves(OfferKind::Training));
        assert!(OdooModule::Blog.serves(OfferKind::Training));
        assert_eq!(OdooModule::of(OfferKind::Iot).count(), 0);
    }

    #[test]
    fn a_plans_lists_are_parsed_with_every_problem_named() {
        let parsed = PlanModules::parse(OfferKind::Ecommerce, "website_blog,website_sale_wishlist", " ");
        assert_eq!(
            parsed,
            Ok(PlanModules {
                included: vec![OdooModule::Wishlist, OdooModule::Blog],
                optional: Vec::new(),
            })
        );
        assert_eq!(
            PlanModules::parse(OfferKind::Ecommerce, "website_slides_forum", "nope"),
            Err(vec![
                ("included_modules", FieldProblem::Unknown),
                ("optional_modules", FieldProblem::Unknown)
            ])
        );
        assert_eq!(
            PlanModules::parse(OfferKind::Ecommerce, "website_blog", "website_blog"),
            Err(vec![("optional_modules", FieldProblem::Taken)])
        );
    }

    #[test]
    fn wanted_are_the_included_and_the_added_the_plan_still_offers() {
        let plan = PlanModules {
            included: vec![OdooModule::Blog],
            optional: vec![OdooModule::Wishlist],
        };
        assert_eq!(
            plan.wanted(&[OdooModule::Wishlist, OdooModule::StockAvailability]),
            [OdooModule::Wishlist, OdooModule::Blog]
        );
    }
}
