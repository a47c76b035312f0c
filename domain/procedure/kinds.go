package procedure

// Type is what kind of participation a procedure is.
type Type string

// Procedure types (see the design's "Procedure types").
const (
	TypeLandUsePlan     Type = "land_use_plan"    // Bauleitplanung
	TypeRegionalPlan    Type = "regional_plan"    // Raumordnung
	TypeStatute         Type = "statute"          // Satzung
	TypeSurvey          Type = "survey"           // Online-Umfrage
	TypeDefectReporting Type = "defect_reporting" // Mängelmelder
	TypeDialog          Type = "dialog"           // Dialogverfahren
)

// Subtype narrows a type, e.g. a Bebauungsplan among land-use plans.
type Subtype string

// Subtypes per type. Changes and repeals of plans are procedures of the same
// subtype (the title says "1. Änderung").
const (
	SubtypeBebauungsplan                  Subtype = "bebauungsplan"
	SubtypeVorhabenbezogenerBebauungsplan Subtype = "vorhabenbezogener_bebauungsplan"
	SubtypeFlaechennutzungsplan           Subtype = "flaechennutzungsplan"
	SubtypeInnenbereichssatzung           Subtype = "innenbereichssatzung"  // §34 Abs. 4 BauGB
	SubtypeAussenbereichssatzung          Subtype = "aussenbereichssatzung" // §35 Abs. 6 BauGB
	SubtypeLandesentwicklungsplan         Subtype = "landesentwicklungsplan"
	SubtypeRegionalplan                   Subtype = "regionalplan"
	SubtypeHaushaltssatzung               Subtype = "haushaltssatzung"
	SubtypeGehoelzschutzsatzung           Subtype = "gehoelzschutzsatzung"
	SubtypeOtherStatute                   Subtype = "sonstige_satzung"
	SubtypeSurvey                         Subtype = "umfrage"
	SubtypeDefectReporting                Subtype = "maengelmelder"
	SubtypeDialog                         Subtype = "dialog"
)

// Subtypes lists the subtypes each type allows, in display order.
var Subtypes = map[Type][]Subtype{
	TypeLandUsePlan: {SubtypeBebauungsplan, SubtypeVorhabenbezogenerBebauungsplan, SubtypeFlaechennutzungsplan,
		SubtypeInnenbereichssatzung, SubtypeAussenbereichssatzung},
	TypeRegionalPlan:    {SubtypeLandesentwicklungsplan, SubtypeRegionalplan},
	TypeStatute:         {SubtypeHaushaltssatzung, SubtypeGehoelzschutzsatzung, SubtypeOtherStatute},
	TypeSurvey:          {SubtypeSurvey},
	TypeDefectReporting: {SubtypeDefectReporting},
	TypeDialog:          {SubtypeDialog},
}

// Types lists every type in display order.
var Types = []Type{TypeLandUsePlan, TypeRegionalPlan, TypeStatute, TypeSurvey, TypeDefectReporting, TypeDialog}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { _, ok := Subtypes[t]; return ok }

// Allows reports whether s is a subtype of t.
func (t Type) Allows(s Subtype) bool {
	for _, v := range Subtypes[t] {
		if v == s {
			return true
		}
	}
	return false
}

// formal reports whether statements are made on plan documents in legally fixed
// rounds (BauGB, ROG), so the §3/§4 phase kinds apply.
func (t Type) formal() bool { return t == TypeLandUsePlan || t == TypeRegionalPlan }

// PhaseKind is the legal step a phase stands for.
type PhaseKind string

// Phase kinds. The §-kinds are for land-use and regional plans; every other
// procedure has generic public participation phases.
const (
	KindEarlyPublic      PhaseKind = "early_public"      // §3 Abs. 1 BauGB
	KindEarlyAuthorities PhaseKind = "early_authorities" // §4 Abs. 1 BauGB
	KindPublication      PhaseKind = "publication"       // §3 Abs. 2 BauGB (Veröffentlichung)
	KindAuthorities      PhaseKind = "authorities"       // §4 Abs. 2 BauGB
	KindRepeated         PhaseKind = "repeated"          // §4a Abs. 3 BauGB
	KindParticipation    PhaseKind = "participation"     // generic public participation
)

// Audience is who may take part in a phase.
type Audience string

// Audiences.
const (
	AudiencePublic  Audience = "public"  // anyone, with or without an account
	AudienceInvited Audience = "invited" // staff of invited public bodies
)

// audiences says which audience each kind has; "" means the agency chooses
// (a repeated participation may address the public or the bodies).
var audiences = map[PhaseKind]Audience{
	KindEarlyPublic: AudiencePublic, KindEarlyAuthorities: AudienceInvited, KindPublication: AudiencePublic,
	KindAuthorities: AudienceInvited, KindRepeated: "", KindParticipation: "",
}

// Status is where a procedure stands, derived from its schedule and the agency's actions.
type Status string

// Statuses in lifecycle order.
const (
	StatusDraft      Status = "draft"
	StatusAnnounced  Status = "announced"
	StatusOpen       Status = "open"
	StatusEvaluation Status = "evaluation"
	StatusConcluded  Status = "concluded"
	StatusArchived   Status = "archived"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusDraft, StatusAnnounced, StatusOpen, StatusEvaluation, StatusConcluded, StatusArchived}
