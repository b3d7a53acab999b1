//! Dated trade levels (`[[trade_level]]`): multipliers of supply and demand over date
//! ranges, selected by the country of the supply's or demand's node, by product and by
//! side, so that one scenario carries several years of trade and a replay of any period
//! uses that period's levels.
//!
//! A level scales `t_per_day` (after seasonality) of every supply and demand it selects,
//! on every day from `from` to `to` (both inclusive). Levels that select the same supply
//! or demand on the same day multiply: a level for all trade in a year and one for a
//! partner's share in it compose without being folded into one number by hand.
//!
//! There are no corridor levels: which corridor a tonne takes is what the engine
//! computes each day (it changes with capacity, closures and reaction lags), so a
//! multiplier "on a corridor's supply" has no meaning independent of the routing. A
//! figure known for a corridor (e.g. Afghan transit trade through Pakistani ports) is
//! written as levels of the partners and products that use it (docs/scenario-reference.md).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::network::ProductId;

/// Which side of trade a level scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LevelSide {
    /// Supplies only (`side = "supply"`).
    Supply,
    /// Demands only (`side = "demand"`).
    Demand,
    /// Both (`side = "both"`, the default).
    #[default]
    Both,
}

impl LevelSide {
    /// Whether a level of this side scales a supply (`supply = true`) or a demand.
    pub fn covers(self, supply: bool) -> bool {
        match self {
            LevelSide::Both => true,
            LevelSide::Supply => supply,
            LevelSide::Demand => !supply,
        }
    }
}

/// A dated multiplier of supply and demand (`[[trade_level]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeLevel {
    /// First day it applies (inclusive); `None`: from any day.
    pub from: Option<NaiveDate>,
    /// Last day it applies (inclusive); `None`: to any day.
    pub to: Option<NaiveDate>,
    /// Multiplier on `t_per_day`, >= 0.
    pub factor: f64,
    /// Only supplies and demands at nodes of this country (`None`: every country).
    pub country: Option<String>,
    /// Only this product (`None`: every product).
    pub product: Option<ProductId>,
    /// Supplies, demands or both.
    pub side: LevelSide,
    /// What it stands for (and its source), for messages and `info`.
    pub label: Option<String>,
}

impl TradeLevel {
    /// Whether it applies on `date`.
    pub fn applies_on(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t)
    }

    /// Whether it selects a supply (`supply = true`) or demand of `product` at a node of
    /// `country`.
    pub fn selects(&self, supply: bool, product: ProductId, country: &str) -> bool {
        self.side.covers(supply)
            && self.product.is_none_or(|p| p == product)
            && self.country.as_deref().is_none_or(|c| c == country)
    }
}

impl super::Scenario {
    /// The factor of the trade levels on supply `i` (`supply = true`) or demand `i` on
    /// `date`: the product of every level that selects it and applies that day (1.0
    /// when none does).
    ///
    /// ```
    /// let s = chokepoint::Scenario::load("scenarios/afghanistan/base.toml")?;
    /// let coal = s.supplies.iter().position(|x| s.products[x.product.index()].id == "coal").unwrap();
    /// let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    /// assert_eq!(s.level_factor(true, coal, day("2024-06-01")), 1.0);
    /// assert!(s.level_factor(true, coal, day("2022-06-01")) > 4.0);
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn level_factor(&self, supply: bool, i: usize, date: NaiveDate) -> f64 {
        let (product, node) = if supply {
            let x = &self.supplies[i];
            (x.product, x.node)
        } else {
            let x = &self.demands[i];
            (x.product, x.node)
        };
        let country = &self.nodes[node.index()].country;
        self.trade_levels
            .iter()
            .filter(|l| l.applies_on(date) && l.selects(supply, product, country))
            .map(|l| l.factor)
            .product()
    }
}
