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

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portal /portal
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/portal"]
CMD ["serve"]
