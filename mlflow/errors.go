package mlflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MLflow error codes (databricks_pb2.ErrorCode names) that callers branch on.
const (
	CodeInvalidParameterValue  = "INVALID_PARAMETER_VALUE"
	CodeResourceAlreadyExists  = "RESOURCE_ALREADY_EXISTS"
	CodeResourceDoesNotExist   = "RESOURCE_DOES_NOT_EXIST"
	CodeInternalError          = "INTERNAL_ERROR"
	CodeBadRequest             = "BAD_REQUEST"
	CodeRequestLimitExceeded   = "REQUEST_LIMIT_EXCEEDED"
	CodeTemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
)

// APIError is a non-2xx answer from the tracking server. Code and Message come from MLflow's
// error body {"error_code": ..., "message": ...} when the server sent one.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Code       string
	Message    string
	// RetryAfter is the server's Retry-After (0 when absent).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	if e.Code != "" {
		return fmt.Sprintf("mlflow: %s %s: HTTP %d %s: %s", e.Method, e.Path, e.StatusCode, e.Code, msg)
	}
	return fmt.Sprintf("mlflow: %s %s: HTTP %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// newAPIError builds an APIError from a response body, using MLflow's error JSON when the body
// holds one and a short excerpt of the body otherwise.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status}
	var eb struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(body, &eb) == nil && (eb.ErrorCode != "" || eb.Message != "") {
		e.Code, e.Message = eb.ErrorCode, eb.Message
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	e.Message = text
	return e
}

// HasCode reports whether err is (or wraps) an APIError with the given MLflow error code.
func HasCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// IsNotFound reports whether err is MLflow's RESOURCE_DOES_NOT_EXIST (or a bare HTTP 404).
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Code == CodeResourceDoesNotExist || (e.Code == "" && e.StatusCode == 404))
}

// IsAlreadyExists reports whether err is MLflow's RESOURCE_ALREADY_EXISTS.
func IsAlreadyExists(err error) bool { return HasCode(err, CodeResourceAlreadyExists) }
