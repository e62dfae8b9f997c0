package importer

import (
	"fmt"
	"regexp"

	"junction/connector"
)

var awsNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// awsSigV4 turns Postman's AWS Signature auth into an aws_sigv4 scheme.
// The key pair and session token become fields (the secret ones secret);
// a literal region becomes the region field's default, and a literal
// service the scheme's signing name. The templates are written out, so a
// field renamed to avoid a clash is followed.
func (b *builder) awsSigV4(sc scheme, label string, addAuth func(scheme, connector.Auth)) {
	region := connector.Field{Name: "region", Label: "AWS region", Type: connector.FieldText, Required: true,
		Help: "The region the API is called in (us-east-1)."}
	if awsNameRE.MatchString(sc.region) {
		region.Default = sc.region
	}
	a := connector.Auth{
		Type: connector.AuthAWSSigV4, Label: label,
		AccessKeyID: "{access_key_id}", SecretAccessKey: "{secret_access_key}", SessionToken: "{session_token}",
		Region: "{region}", Service: sc.service,
		Fields: []connector.Field{
			{Name: "access_key_id", Label: "Access key ID", Type: connector.FieldText, Required: true},
			{Name: "secret_access_key", Label: "Secret access key", Type: connector.FieldSecret, Required: true},
			{Name: "session_token", Label: "Session token", Type: connector.FieldSecret, Help: "Only for temporary credentials."},
			region,
		},
	}
	if !awsNameRE.MatchString(sc.service) {
		a.Service = "{service}"
		a.Fields = append(a.Fields, connector.Field{Name: "service", Label: "AWS service", Type: connector.FieldText, Required: true,
			Help: "The service's signing name (execute-api for API Gateway, ses, s3...)."})
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: the collection names no AWS service; the connection asks for its signing name", sc.name))
	}
	addAuth(sc, a)
}
