package i18n

// deDefect are the German texts of defect reporting and its Open311
// interface; init merges them into the German catalogue.
var deDefect = map[string]string{
	"defect.not_found":                      "Diese Mängelmeldung gibt es nicht.",
	"defect.category_not_found":             "Diese Kategorie gibt es in diesem Mängelmelder nicht.",
	"defect.category_inactive":              "Für diese Kategorie werden keine Meldungen mehr angenommen.",
	"defect.procedure_not_defect_reporting": "Dieses Verfahren ist kein Mängelmelder.",
	"defect.procedure_closed":               "Der Mängelmelder nimmt derzeit keine Meldungen an.",
	"defect.transition_not_allowed":         "Dieser Statuswechsel ist im Ablauf nicht vorgesehen.",
	"defect.version_conflict":               "Die Meldung wurde inzwischen geändert. Bitte laden Sie sie neu.",
	"defect.already_supported":              "Sie haben diese Meldung bereits unterstützt.",
	"defect.support_closed":                 "Erledigte oder abgeschlossene Meldungen können nicht mehr unterstützt werden.",
	"defect.idempotency_key_reused":         "Der Idempotency-Key wurde bereits für eine andere Meldung verwendet.",
	"defect.category_code_taken":            "Dieser Kategorie-Code ist bereits vergeben.",
	"defect.forbidden":                      "Sie dürfen diese Mängelmeldung nicht bearbeiten.",
	"defect.photo_heic_unsupported":         "HEIC/HEIF-Fotos können wir nicht verarbeiten. Bitte senden Sie das Foto als JPEG, PNG oder WebP (in den Kameraeinstellungen „Maximale Kompatibilität“ wählen).",
	"defect.token_invalid":                  "Der Schlüssel passt zu keiner Mängelmeldung.",
	"defect.category_code_invalid":          "Der Code besteht aus 1 bis 40 Kleinbuchstaben, Ziffern, „-“ oder „_“.",
	"defect.category_name_invalid":          "Bitte geben Sie einen Namen mit höchstens 200 Zeichen an.",
	"defect.too_long":                       "Der Text ist zu lang.",
	"defect.description_required":           "Bitte beschreiben Sie den Mangel.",
	"defect.description_too_short":          "Bitte beschreiben Sie den Mangel mit mindestens 10 Zeichen.",
	"defect.description_too_long":           "Die Beschreibung darf höchstens 4000 Zeichen lang sein.",
	"defect.location_required":              "Bitte markieren Sie den Ort des Mangels auf der Karte.",
	"defect.location_invalid":               "Der Ort muss ein GeoJSON-Punkt in WGS84 (Länge, Breite) sein.",
	"defect.location_outside_area":          "Der markierte Ort liegt außerhalb des Gebiets, für das dieser Mängelmelder zuständig ist. Bitte wenden Sie sich an die dort zuständige Gemeinde.",
	"defect.email_invalid":                  "Bitte geben Sie eine gültige E-Mail-Adresse an.",
	"defect.media_url_invalid":              "Die Medien-Adresse muss mit http:// oder https:// beginnen.",
	"defect.too_many_photos":                "Es sind höchstens 5 Fotos je Meldung möglich.",
	"defect.photo_too_large":                "Das Foto ist zu groß (höchstens 8 MiB).",
	"defect.photo_too_many_pixels":          "Das Foto hat zu viele Bildpunkte.",
	"defect.photo_type_unsupported":         "Fotos müssen JPEG-, PNG- oder WebP-Dateien sein.",
	"defect.photo_broken":                   "Das Foto ist beschädigt und kann nicht gelesen werden.",
	"defect.photo_not_found":                "Dieses Foto gehört nicht zu der Meldung.",
	"defect.comment_required":               "Bitte begründen Sie diesen Schritt mit einer öffentlichen Antwort.",
	"defect.duplicate_of_required":          "Bitte geben Sie die Nummer der ursprünglichen Meldung an.",
	"defect.duplicate_of_invalid":           "Die ursprüngliche Meldung muss eine andere Meldung desselben Mängelmelders sein, die selbst kein Duplikat ist.",
	"defect.forward_to_required":            "Bitte wählen Sie die Stelle, an die die Meldung weitergeleitet wird.",
	"defect.forward_to_invalid":             "An diese Stelle kann die Meldung nicht weitergeleitet werden.",
	"defect.status_invalid":                 "Diesen Status gibt es nicht.",
	"defect.honeypot":                       "Die Meldung wurde als automatisiert erkannt.",
	"defect.filter_invalid":                 "Dieser Filterwert ist ungültig.",
	"defect.client_name_invalid":            "Bitte geben Sie einen Namen mit höchstens 200 Zeichen an.",
	"open311.api_key_missing":               "Für das Einreichen ist ein api_key nötig. Schlüssel vergibt die Betreiberin des Portals.",
	"open311.api_key_invalid":               "Der api_key ist ungültig oder gesperrt.",
	"open311.service_code_missing":          "service_code fehlt.",
	"open311.service_code_not_found":        "Diesen service_code gibt es nicht.",
	"open311.jurisdiction_not_found":        "Diese jurisdiction_id gibt es nicht.",
	"open311.format_unknown":                "Unbekanntes Format: erlaubt sind .json und .xml.",
	"open311.route_not_found":               "Unter dieser Adresse gibt es keine Open311-Ressource.",
	"open311.position_invalid":              "lat und long müssen Zahlen in WGS84 sein.",
	"open311.status_invalid":                "status muss open oder closed sein.",
	"open311.date_invalid":                  "Datumsangaben müssen im W3C-Format sein, z. B. 2026-11-01T00:00:00Z.",
	"open311.span_too_long":                 "Der Zeitraum darf höchstens 90 Tage umfassen.",
	"open311.service_notice":                "Die Meldung ist eingegangen und wird von der zuständigen Stelle geprüft.",
}

func init() {
	for k, v := range deDefect {
		de[k] = v
	}
}
