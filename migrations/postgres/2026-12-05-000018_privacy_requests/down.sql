DROP TABLE privacy_request_events;
DROP TABLE privacy_requests;
