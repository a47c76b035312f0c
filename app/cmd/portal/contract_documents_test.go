package main

import (
	"bytes"
	"mime/multipart"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// multipartBody encodes form fields and, if fileName is set, a file as
// multipart/form-data; it returns the body and the Content-Type header pair.
func multipartBody(fileName string, content []byte, fields ...string) ([]byte, []string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = w.WriteField(fields[i], fields[i+1])
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	return body.Bytes(), []string{"Content-Type", w.FormDataContentType()}
}

// contractDocuments drives every document operation into its documented answers.
func contractDocuments(k *contract) {
	t := k.t
	// Downloads are documented as binary of any type.
	for _, mt := range []string{"application/pdf", "image/png"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2027-03-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	anon, ed, viewer, grimma := srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "freiberg-editor@demo.example")
	k.login(viewer, "freiberg-viewer@demo.example")
	k.login(grimma, "grimma-admin@demo.example")

	path := newDraftPlan(t, ed, "2027-03-08", "2027-03-19")
	docs := path + "/documents"
	missing := "/api/v1/procedures/0191d9a0-0000-7000-8000-000000000000/documents"
	plan := samplePDF("Planzeichnung")
	pdfBody, pdfType := multipartBody("planzeichnung.pdf", plan, "title", "Planzeichnung", "kind", "material")
	upload := func(name string, c *client, p string, body []byte, header []string, status int, slug string, refused bool) response {
		return k.check(call{name: name, c: c, method: "POST", path: p, body: body, headers: header, status: status, slug: slug, refused: refused})
	}

	upload("document upload without session", anon, docs, pdfBody, pdfType, 401, "unauthenticated", false)
	upload("document upload without CSRF token", contractNoCSRF(ed), docs, pdfBody, pdfType, 403, "csrf", false)
	upload("document upload by a viewer", viewer, docs, pdfBody, pdfType, 403, "forbidden", false)
	upload("document upload to another municipality's draft", grimma, docs, pdfBody, pdfType, 404, "not_found", false)
	upload("document upload to a missing procedure", ed, missing, pdfBody, pdfType, 404, "not_found", false)
	upload("document upload as JSON", ed, docs, []byte(`{"file":"x"}`), []string{"Content-Type", "application/json"}, 415, "unsupported_media_type", true)
	noFile, noFileType := multipartBody("", nil, "title", "Ohne Datei")
	upload("document upload without file", ed, docs, noFile, noFileType, 422, "validation", true)
	html, htmlType := multipartBody("plan.pdf", []byte("<html><script>alert(1)</script></html>"))
	upload("document upload of HTML named .pdf", ed, docs, html, htmlType, 422, "validation", false)
	early, earlyType := multipartBody("ergebnis.pdf", plan, "kind", "result")
	upload("result document before the evaluation", ed, docs, early, earlyType, 409, "conflict", false)
	first := decodeDocument(t, upload("document upload", ed, docs, pdfBody, pdfType, 201, "", false))
	pngBody, pngType := multipartBody("lageplan.png", samplePNG)
	second := decodeDocument(t, upload("image upload", ed, docs, pngBody, pngType, 201, "", false))

	order := docs + "/order"
	reorder := map[string]any{"kind": "material", "order": []string{second.ID, first.ID}}
	k.check(call{name: "reorder without session", c: anon, method: "PUT", path: order, body: reorder, status: 401, slug: "unauthenticated"})
	k.check(call{name: "reorder without CSRF token", c: contractNoCSRF(ed), method: "PUT", path: order, body: reorder, status: 403, slug: "csrf"})
	k.check(call{name: "reorder by a viewer", c: viewer, method: "PUT", path: order, body: reorder, status: 403, slug: "forbidden"})
	k.check(call{name: "reorder in another municipality's draft", c: grimma, method: "PUT", path: order, body: reorder, status: 404, slug: "not_found"})
	k.check(call{name: "reorder with malformed JSON", c: ed, method: "PUT", path: order, body: `{"kind":`, status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "reorder as text", c: ed, method: "PUT", path: order, body: `{}`, headers: []string{"Content-Type", "text/plain"},
		status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "reorder naming too few", c: ed, method: "PUT", path: order, body: map[string]any{"kind": "material", "order": []string{first.ID}},
		status: 422, slug: "validation"})
	k.check(call{name: "reorder", c: ed, method: "PUT", path: order, body: reorder, status: 200})

	k.check(call{name: "document list of a draft, anonymously", c: anon, method: "GET", path: docs, status: 404, slug: "not_found"})
	k.check(call{name: "document list of a draft, by its viewer", c: viewer, method: "GET", path: docs, status: 200})
	k.check(call{name: "download of a draft's document, by its viewer", c: viewer, method: "GET", path: first.URL, status: 200})

	third := decodeDocument(t, upload("another upload", ed, docs, pdfBody, pdfType, 201, "", false))
	one := docs + "/" + third.ID
	k.check(call{name: "document delete without session", c: anon, method: "DELETE", path: one, status: 401, slug: "unauthenticated"})
	k.check(call{name: "document delete without CSRF token", c: contractNoCSRF(ed), method: "DELETE", path: one, status: 403, slug: "csrf"})
	k.check(call{name: "document delete by a viewer", c: viewer, method: "DELETE", path: one, status: 403, slug: "forbidden"})
	k.check(call{name: "document delete in another municipality's draft", c: grimma, method: "DELETE", path: one, status: 404, slug: "not_found"})
	k.check(call{name: "document delete", c: ed, method: "DELETE", path: one, status: 204})
	k.check(call{name: "document delete again", c: ed, method: "DELETE", path: one, status: 404, slug: "not_found"})

	mustStatus(t, ed.do("POST", path+"/publish", nil), 200, "publish")
	k.check(call{name: "document delete once published", c: ed, method: "DELETE", path: docs + "/" + first.ID, status: 409, slug: "conflict"})

	list := k.check(call{name: "document list", c: anon, method: "GET", path: docs, status: 200})
	k.check(call{name: "document list, unchanged", c: anon, method: "GET", path: docs, headers: []string{"If-None-Match", list.Header.Get("ETag")}, status: 304})
	dl := k.check(call{name: "download", c: anon, method: "GET", path: first.URL, status: 200})
	k.check(call{name: "download, unchanged", c: anon, method: "GET", path: first.URL, headers: []string{"If-None-Match", dl.Header.Get("ETag")}, status: 304})
	k.check(call{name: "download of a range", c: anon, method: "GET", path: first.URL, headers: []string{"Range", "bytes=0-99"}, status: 206})
	k.check(call{name: "download of a range beyond the end", c: anon, method: "GET", path: first.URL, headers: []string{"Range", "bytes=99999999-"},
		status: 416, slug: "range_not_satisfiable"})
	k.check(call{name: "download of a missing document", c: anon, method: "GET", path: docs + "/" + third.ID + "/file", status: 404, slug: "not_found"})

	versions := docs + "/" + first.ID + "/versions"
	v2Body, v2Type := multipartBody("planzeichnung-2.pdf", samplePDF("Planzeichnung, 2. Fassung"))
	upload("new version without session", anon, versions, v2Body, v2Type, 401, "unauthenticated", false)
	upload("new version without CSRF token", contractNoCSRF(ed), versions, v2Body, v2Type, 403, "csrf", false)
	upload("new version by another municipality", grimma, versions, v2Body, v2Type, 403, "forbidden", false)
	upload("new version of a missing document", ed, docs+"/"+third.ID+"/versions", v2Body, v2Type, 404, "not_found", false)
	upload("new version as JSON", ed, versions, []byte(`{}`), []string{"Content-Type", "application/json"}, 415, "unsupported_media_type", true)
	upload("new version of an unknown type", ed, versions, html, htmlType, 422, "validation", false)
	upload("new version", ed, versions, v2Body, v2Type, 201, "", false)
	upload("new version of a superseded version", ed, versions, v2Body, v2Type, 409, "conflict", false)
	k.check(call{name: "download of a superseded version", c: anon, method: "GET", path: first.URL, status: 200})

	// An archive is closed for documents.
	clock.Set("2027-04-01 10:00:00")
	mustStatus(t, ed.do("POST", path+"/conclude", map[string]string{"result": "Beschlossen."}), 200, "conclude")
	mustStatus(t, ed.do("POST", path+"/archive", nil), 200, "archive")
	k.check(call{name: "reorder in an archive", c: ed, method: "PUT", path: order, body: reorder, status: 409, slug: "conflict"})
}
