DROP TABLE privacy_request_agents;
DROP TABLE drp_agents;
