DROP TABLE notice_acceptances;
DROP TABLE notice_versions;
