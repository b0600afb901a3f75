/**
 * The single place the engine imports TensorFlow.js from, so that every module shares one
 * engine instance and the bundler sees one copy.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export { tf };
