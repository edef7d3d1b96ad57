#!/bin/echo-args  -x y 
