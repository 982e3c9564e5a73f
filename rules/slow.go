package rules

// defaultSlow are the calls known to do external I/O. SDK clients are named
// by their client types where the SDK has one, so that constructors and
// option helpers of the same package stay pure.
var defaultSlow = []string{
	"net/http.(*Client).Do", "net/http.(*Client).Get", "net/http.(*Client).Post",
	"net/http.(*Client).PostForm", "net/http.(*Client).Head",
	"net/http.Get", "net/http.Post", "net/http.PostForm", "net/http.Head",
	"net/http.(*Transport).RoundTrip",
	"time.Sleep",
	"net.Dial", "net.DialTimeout", "net.(*Dialer).Dial", "net.(*Dialer).DialContext",
	"net.Lookup*", "net.(*Resolver).Lookup*",
	"net/smtp.SendMail", "net/smtp.Dial", "net/smtp.(*Client).*",
	"os/exec.(*Cmd).Run", "os/exec.(*Cmd).Output", "os/exec.(*Cmd).CombinedOutput", "os/exec.(*Cmd).Wait",
	"google.golang.org/grpc.(*ClientConn).Invoke", "google.golang.org/grpc.(*ClientConn).NewStream",
	"github.com/sashabaranov/go-openai.(*Client).*",
	"github.com/anthropics/anthropic-sdk-go.(*MessageService).*",
	"github.com/anthropics/anthropic-sdk-go.(*MessageBatchService).*",
	"github.com/anthropics/anthropic-sdk-go.(*CompletionService).*",
	"github.com/aws/aws-sdk-go-v2/service/s3.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/sqs.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/sns.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/ses.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/sesv2.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/dynamodb.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/lambda.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/kinesis.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/eventbridge.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/ssm.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/kms.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/service/sts.(*Client).*",
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager.(*Uploader).*",
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager.(*Downloader).*",
}

// openaiServices are the API services of github.com/openai/openai-go, whose
// methods (New, NewStreaming, Get, List, …) each make a request.
var openaiServices = []string{
	"ChatCompletionService", "CompletionService", "EmbeddingService", "ImageService",
	"ModerationService", "AudioSpeechService", "AudioTranscriptionService",
	"AudioTranslationService", "FileService", "BatchService", "ModelService",
}

// openaiSlow names the services of every major version of openai-go.
func openaiSlow() []string {
	var names []string
	for _, mod := range []string{"github.com/openai/openai-go", "github.com/openai/openai-go/v2", "github.com/openai/openai-go/v3"} {
		for _, svc := range openaiServices {
			names = append(names, mod+".(*"+svc+").*")
		}
		names = append(names, mod+"/responses.(*ResponseService).*")
	}
	return names
}

// DefaultSlow returns the built-in slow-call patterns (HTTP, dialing, DNS,
// mail, subprocesses, sleeps, gRPC, LLM and AWS SDK clients). The config's
// effects.slow adds to them.
func DefaultSlow() []Pattern {
	var ps []Pattern
	for _, s := range append(openaiSlow(), defaultSlow...) {
		ps = append(ps, MustPattern(s))
	}
	return ps
}
