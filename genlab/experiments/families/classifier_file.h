// The classifier file: an ImageClassifier's weights and shape in an HDF5 file (a run file
// of kind "genlab image classifier"), written by the classifier family and read by the
// image metrics (genlab/experiments/eval/image_metrics.h).
#pragma once

#include <memory>
#include <string>

#include "genlab/models/classifier/image_classifier.h"

namespace genlab {

// The committed Fashion-MNIST classifier (genlab/models/classifier/fmnist_classifier.h5 of the
// source tree this genlab was built from).
std::string default_image_classifier_path();

void save_image_classifier(const std::string& path, const ImageClassifier& net,
                           double test_accuracy, const std::string& config_yaml);
// Errors name the file and what is missing or wrong.
std::unique_ptr<ImageClassifier> load_image_classifier(const std::string& path);

}  // namespace genlab
