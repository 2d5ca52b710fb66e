//! The decision records of the engine's answers: what each keeps (ids, digests, classes,
//! positions, verdicts) and nothing more.

use serde_json::json;

use crate::{ProfilingRequest, ProfilingResponse, RiesameResponse};
use incrocio_decisions::{Decision, Kind, ModelRef};
use incrocio_graduatoria::Graduatoria;
use incrocio_matching::{Offers, Shortlist};

/// One decision per profile: the person, the class, the index and the DID date (the profiling
/// deadline runs from it).
pub fn profiles(req: &ProfilingRequest, r: &ProfilingResponse, actor: &str) -> Vec<Decision> {
    r.profiles
        .iter()
        .zip(&r.record_index)
        .filter_map(|(p, &i)| Some((p, req.records.get(i)?)))
        .map(|(p, record)| Decision {
            kind: Kind::Profile,
            actor: actor.to_owned(),
            input_digest: p.input_digest.clone(),
            model: Some(ModelRef {
                id: format!("{}@v{}", p.model.id, p.model.version),
                digest: p.model.digest.clone(),
            }),
            subject: None,
            people: vec![p.person_id.clone()],
            result: json!({
                "class": p.class.code,
                "index": p.index,
                "profiled_at": p.profiled_at,
                "next_review_at": p.next_review_at,
                "data_did": record.data_did,
            }),
            texts: Vec::new(),
        })
        .collect()
}

/// The rosa sent: its id, the vacancy, the candidates in order.
pub fn rosa(s: &Shortlist, actor: &str) -> Decision {
    Decision {
        kind: Kind::Rosa,
        actor: actor.to_owned(),
        input_digest: s.input_digest.clone(),
        model: Some(ModelRef {
            id: s.model.clone(),
            digest: s.model_digest.clone(),
        }),
        subject: Some(s.rosa_id.clone()),
        people: s.rosa.iter().map(|e| e.candidate_id.clone()).collect(),
        result: json!({
            "vacancy_id": s.vacancy_id,
            "data_richiesta": s.data_richiesta,
            "generated_at": s.generated_at,
            "rosa_size": s.rosa_size,
            "size_asked": s.size_asked,
            "eligible_count": s.eligible_count,
            "ranked": s.rosa.iter().map(|e| &e.candidate_id).collect::<Vec<_>>(),
        }),
        texts: Vec::new(),
    }
}

/// A graduatoria: the rule set, every applicant's position, the excluded.
pub fn graduatoria(g: &Graduatoria, actor: &str, kind: Kind) -> Decision {
    let mut people: Vec<String> = g.ranking.iter().map(|r| r.applicant_id.clone()).collect();
    people.extend(g.excluded.iter().map(|e| e.applicant_id.clone()));
    Decision {
        kind,
        actor: actor.to_owned(),
        input_digest: g.input_digest.clone(),
        model: Some(ModelRef {
            id: format!("{}@v{}", g.rules.id, g.rules.version),
            digest: g.rules.digest.clone(),
        }),
        subject: Some(g.input_digest.clone()),
        people,
        result: json!({
            "publication_date": g.publication_date,
            "ranked": g.ranking.iter().map(|r| (&r.applicant_id, r.position, r.total.to_string())).collect::<Vec<_>>(),
            "excluded": g.excluded.iter().map(|e| &e.applicant_id).collect::<Vec<_>>(),
        }),
        texts: Vec::new(),
    }
}

/// A riesame: the recomputed graduatoria, naming the one it revised.
pub fn riesame(r: &RiesameResponse, actor: &str) -> Decision {
    let mut d = graduatoria(&r.graduatoria, actor, Kind::Riesame);
    if let serde_json::Value::Object(m) = &mut d.result {
        m.insert(
            "previous_input_digest".into(),
            json!(r.riesame.previous_input_digest),
        );
        m.insert("moves".into(), json!(r.riesame.moves.len()));
    }
    d
}

/// The offers shown to a person, each with its congruity verdict.
pub fn congruity(o: &Offers, actor: &str) -> Decision {
    Decision {
        kind: Kind::Congruity,
        actor: actor.to_owned(),
        input_digest: o.input_digest.clone(),
        model: Some(ModelRef {
            id: format!("{}@v{}", o.rules.id, o.rules.version),
            digest: o.rules.digest.clone(),
        }),
        subject: None,
        people: vec![o.candidate_id.clone()],
        result: json!({
            "data_offerta": o.data_offerta,
            "matching_model": o.model,
            "offers": o.offers.iter().map(|e| json!({
                "position": e.position,
                "vacancy_id": e.vacancy_id,
                "esito": e.congruita.esito,
            })).collect::<Vec<_>>(),
        }),
        texts: Vec::new(),
    }
}
