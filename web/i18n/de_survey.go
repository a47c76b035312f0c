package i18n

// deSurvey are the German texts of online surveys, merged into the German
// catalogue at start.
var deSurvey = map[string]string{
	"survey.not_found":             "Diese Umfrage gibt es nicht.",
	"survey.not_survey":            "Dieses Verfahren ist keine Umfrage.",
	"survey.not_draft":             "Der Fragebogen kann nur geändert werden, solange das Verfahren ein Entwurf ist.",
	"survey.procedure_draft":       "Das Verfahren ist noch ein Entwurf; es gibt noch keine Ergebnisse zu veröffentlichen.",
	"survey.not_open":              "Die Umfrage ist zurzeit nicht geöffnet. Antworten werden nur während des Beteiligungszeitraums angenommen (maßgeblich ist die deutsche Zeit, der letzte Tag bis 24 Uhr).",
	"survey.already_answered":      "Von diesem Browser oder Konto wurde diese Umfrage bereits beantwortet. Jede Person kann nur einmal teilnehmen.",
	"survey.account_required":      "Für diese Umfrage müssen Sie angemeldet sein.",
	"survey.code_required":         "Für diese Umfrage benötigen Sie einen Zugangscode (z. B. aus dem Anschreiben an Ihren Haushalt).",
	"survey.code_invalid":          "Dieser Zugangscode ist ungültig oder wurde bereits verwendet.",
	"survey.resume_invalid":        "Zu diesem Fortsetzungsschlüssel gibt es keinen gespeicherten Entwurf (mehr).",
	"survey.no_questionnaire":      "Für diese Umfrage wurde noch kein Fragebogen angelegt.",
	"survey.results_not_published": "Die Ergebnisse dieser Umfrage sind (noch) nicht veröffentlicht.",
	"survey.too_many_codes":        "Es können je Anfrage 1 bis 10.000 Zugangscodes erzeugt werden.",
	"survey.too_many_answers":      "Die Antwort enthält zu viele Felder.",
	"survey.draft_too_large":       "Der Entwurf ist zu groß, um gespeichert zu werden.",
	"survey.filter_invalid":        "Der Filter muss die Form „Frage:Option“ haben und eine Auswahlfrage mit einer ihrer Optionen nennen.",

	// The questionnaire.
	"survey.no_sections":         "Der Fragebogen braucht mindestens einen Abschnitt.",
	"survey.section_empty":       "Ein Abschnitt braucht mindestens eine Frage.",
	"survey.too_many_questions":  "Ein Fragebogen kann höchstens 200 Fragen haben.",
	"survey.key_invalid":         "Der Schlüssel muss mit einem Kleinbuchstaben beginnen und darf nur Kleinbuchstaben, Ziffern und Unterstriche enthalten (höchstens 40 Zeichen).",
	"survey.key_duplicate":       "Dieser Schlüssel ist bereits vergeben; jeder Schlüssel darf nur einmal vorkommen.",
	"survey.key_reserved":        "Der Schlüssel „other“ ist für die Option „Sonstiges“ reserviert.",
	"survey.kind_invalid":        "Unbekannter Fragetyp. Erlaubt sind: single_choice, multiple_choice, scale, matrix, ranking, short_text, long_text, number, date.",
	"survey.field_not_allowed":   "Diese Angabe passt nicht zu diesem Fragetyp.",
	"survey.too_few_options":     "Es fehlen Antwortoptionen: eine Auswahl- oder Rangfolgefrage braucht mindestens zwei, eine Matrix mindestens eine Zeile.",
	"survey.too_many_options":    "Eine Frage kann höchstens 100 Optionen haben.",
	"survey.option_empty":        "Antwortoptionen dürfen nicht leer sein.",
	"survey.select_bounds":       "Mindest- und Höchstzahl der Auswahl passen nicht zueinander oder zur Zahl der Optionen.",
	"survey.scale_invalid":       "Die Skala muss bei 0 oder mehr beginnen, mindestens zwei und höchstens elf Stufen haben (z. B. 1 bis 5).",
	"survey.number_bounds":       "Der Mindestwert ist größer als der Höchstwert.",
	"survey.max_length_invalid":  "Die Höchstlänge muss zwischen 1 und 20.000 Zeichen liegen.",
	"survey.condition_backwards": "Eine Bedingung kann sich nur auf eine frühere Frage beziehen.",
	"survey.condition_kind":      "Eine Bedingung kann sich nur auf eine Einfach- oder Mehrfachauswahl beziehen.",
	"survey.condition_empty":     "Die Bedingung braucht mindestens eine Antwortoption.",
	"survey.condition_option":    "Die Bedingung nennt eine Option, die die frühere Frage nicht hat.",
	"survey.threshold_invalid":   "Die Mindestgruppengröße für veröffentlichte Ergebnisse muss zwischen 1 und 100 liegen.",

	// Answers.
	"survey.answer_required":       "Bitte beantworten Sie diese Frage.",
	"survey.answer_type":           "Die Antwort hat nicht die passende Form für diesen Fragetyp.",
	"survey.answer_option":         "Diese Antwort gehört nicht zu den Optionen der Frage.",
	"survey.answer_duplicate":      "Eine Option wurde mehrfach gewählt.",
	"survey.answer_select_min":     "Bitte wählen Sie mehr Optionen aus.",
	"survey.answer_select_max":     "Bitte wählen Sie weniger Optionen aus.",
	"survey.answer_other_empty":    "Bitte beschreiben Sie, was Sie mit „Sonstiges“ meinen.",
	"survey.answer_other_unchosen": "Ein Text zu „Sonstiges“ ist nur möglich, wenn Sie „Sonstiges“ wählen.",
	"survey.answer_scale":          "Bitte wählen Sie einen Wert der Skala.",
	"survey.answer_item":           "Diese Zeile gehört nicht zur Frage.",
	"survey.answer_empty":          "Die Antwort ist leer; lassen Sie die Frage dann bitte ganz weg.",
	"survey.answer_ranking":        "Bitte bringen Sie jede Option genau einmal in eine Reihenfolge.",
	"survey.answer_too_long":       "Die Antwort ist zu lang.",
	"survey.answer_text_invalid":   "Die Antwort enthält ungültige Zeichen (bei kurzen Antworten auch Zeilenumbrüche).",
	"survey.answer_number_range":   "Die Zahl liegt außerhalb des erlaubten Bereichs.",
	"survey.answer_integer":        "Bitte geben Sie eine ganze Zahl an.",
	"survey.answer_date":           "Bitte geben Sie ein gültiges Datum an (JJJJ-MM-TT).",
	"survey.answer_hidden":         "Diese Frage wird nach Ihren bisherigen Antworten nicht gestellt; bitte lassen Sie sie weg.",
	"survey.question_unknown":      "Diese Frage gibt es in dieser Umfrage nicht.",
}

func init() {
	for k, v := range deSurvey {
		de[k] = v
	}
}
