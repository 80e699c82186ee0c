-- 003_image_size_and_provider_jobs.sql: the stored image's true pixel size, and the comment on
-- provider_job_id now that PixelAPI jobs write it.

-- What the stored file measures: twice the requested width and height for a model that
-- upscales (`upscale = 2`), the request's own otherwise. NULL until the job succeeds, and for
-- images made before this column existed (they match width and height unless upscaled).
ALTER TABLE generations ADD COLUMN image_width integer, ADD COLUMN image_height integer;
ALTER TABLE generations ADD CONSTRAINT generations_image_size_check
    CHECK ((image_width IS NULL) = (image_height IS NULL) AND (image_width IS NULL OR (image_width > 0 AND image_height > 0)));

COMMENT ON COLUMN generations.provider_job_id IS
    'The job id a polled provider (PixelAPI) gave this generation, saved as soon as it is accepted: '
    'a job reclaimed after its worker died resumes polling that id instead of paying for the image twice.';
