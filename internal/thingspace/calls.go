package thingspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ProfileAction starts one of the asynchronous profile actions and returns the requestId its
// callbacks will carry. A request the client can tell ThingSpace would refuse (unknown action,
// no devices, more than Config.MaxDevicesPerRequest) is refused before anything is sent.
func (c *Client) ProfileAction(ctx context.Context, action ProfileAction, req ProfileRequest) (string, error) {
	op := action.operation()
	if err := c.checkProfileRequest(action, req); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	var res RequestIDResponse
	err := c.do(ctx, &request{
		op: op, method: http.MethodPost, path: ProfileActionPath(action),
		body: req, auth: authSession, policy: retryUnsafe,
	}, &res)
	if err != nil {
		return "", err
	}
	if res.RequestID == "" {
		return "", fmt.Errorf("%s: ThingSpace accepted the request but answered without a requestId; "+
			"its callbacks cannot be followed, so check the devices in ThingSpace before trying again", op)
	}
	return res.RequestID, nil
}

func (c *Client) checkProfileRequest(action ProfileAction, req ProfileRequest) error {
	switch {
	case !action.Valid():
		names := make([]string, 0, len(ProfileActions()))
		for _, a := range ProfileActions() {
			names = append(names, string(a))
		}
		return fmt.Errorf("unknown profile action %q: use one of %s", action, strings.Join(names, ", "))
	case len(req.Devices) == 0:
		return errors.New("the request names no device: give at least one")
	case len(req.Devices) > c.cfg.MaxDevicesPerRequest:
		return fmt.Errorf("the request names %d devices, more than the %d allowed in one request: split it",
			len(req.Devices), c.cfg.MaxDevicesPerRequest)
	case req.AccountName == "":
		return errors.New("the request names no account: set account_name")
	}
	return nil
}

// operation names the action in words ("enable profile"), for errors and logs.
func (a ProfileAction) operation() string {
	return strings.ReplaceAll(string(a), "_", " and ") + " profile"
}

// RegisterCallbackListener registers (or replaces) the URL that receives an account's callbacks
// for l.Name. It is not repeated after an ambiguous failure, like the profile actions.
func (c *Client) RegisterCallbackListener(ctx context.Context, accountName string, l CallbackListener) error {
	if accountName == "" || l.Name == "" || l.URL == "" {
		return errors.New("register callback listener: the account name, the service name and the URL are all required")
	}
	return c.do(ctx, &request{
		op: "register callback listener", method: http.MethodPost, path: CallbackListenersPath(accountName),
		body: l, auth: authSession, policy: retryUnsafe,
	}, nil)
}

// CallbackListeners lists the callback listeners registered for an account.
func (c *Client) CallbackListeners(ctx context.Context, accountName string) ([]RegisteredListener, error) {
	var res []RegisteredListener
	err := c.do(ctx, &request{
		op: "list callback listeners", method: http.MethodGet, path: CallbackListenersPath(accountName),
		auth: authSession, policy: retryIdempotent,
	}, &res)
	return res, err
}

// DeleteCallbackListener removes the listener of one callback service.
func (c *Client) DeleteCallbackListener(ctx context.Context, accountName, serviceName string) error {
	return c.do(ctx, &request{
		op: "delete callback listener", method: http.MethodDelete, path: CallbackListenerPath(accountName, serviceName),
		auth: authSession, policy: retryIdempotent,
	}, nil)
}

// ListDevices returns every device matching req, following the pages ThingSpace splits the
// answer into (DeviceListPageSize per page).
func (c *Client) ListDevices(ctx context.Context, req DeviceListRequest) ([]Device, error) {
	const op = "list devices"
	var all []Device
	for page := 1; ; page++ {
		var res DeviceListResponse
		err := c.do(ctx, &request{
			op: op, method: http.MethodPost, path: PathDeviceList,
			body: req, auth: authSession, policy: retryIdempotent,
		}, &res)
		if err != nil {
			return nil, err
		}
		all = append(all, res.Devices...)
		if !res.HasMoreData {
			return all, nil
		}
		next := nextLargestDeviceIDSeen(req.LargestDeviceIDSeen, res.Devices)
		if next <= req.LargestDeviceIDSeen {
			return nil, fmt.Errorf("%s: ThingSpace said page %d has more data but gave no way to ask for it", op, page)
		}
		req.LargestDeviceIDSeen = next
	}
}

// RequestStatus asks for the v2 status of an asynchronous request. It is a cross-check only:
// whether it covers the legacy SM-SR actions is not documented.
func (c *Client) RequestStatus(ctx context.Context, accountName, requestID string) (*RequestStatus, error) {
	var res RequestStatus
	err := c.do(ctx, &request{
		op: "get request status", method: http.MethodGet, path: RequestStatusPath(accountName, requestID),
		auth: authSession, policy: retryIdempotent,
	}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// nextLargestDeviceIDSeen is the paging cursor for the page after devices: the largest
// numeric device id seen so far.
func nextLargestDeviceIDSeen(prev int64, devices []Device) int64 {
	next := prev
	for _, d := range devices {
		if id, ok := d.NumericID(); ok {
			next = max(next, id)
		}
	}
	return next
}
