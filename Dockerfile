# Multi-stage build of the portal binary into a distroless, non-root image.
# The image contains only the binary: migrations, templates and static files
# must be embedded into it (go:embed).
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Dependencies in their own layer, rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/portal ./app/cmd/portal
# The directory of a file store (PORTAL_FILE_STORE=file:/data/files, see
# compose.yaml). The image has no shell to make it, so it is made here; a new
# named volume mounted there takes over its owner, the image's user.
RUN mkdir -p /out/data/files

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portal /portal
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/portal"]
CMD ["serve"]
