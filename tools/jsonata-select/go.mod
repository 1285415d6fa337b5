module github.com/stepgate/stepgate/tools/jsonata-select

go 1.26

require (
	github.com/blues/jsonata-go v1.5.4
	github.com/xiatechs/jsonata-go v1.8.8
)

require (
	github.com/goccy/go-json v0.10.2 // indirect
	github.com/ncruces/go-strftime v0.1.9 // indirect
	github.com/shopspring/decimal v1.3.1 // indirect
)
