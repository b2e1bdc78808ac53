// The real kube-apiserver, built from its Go module for wasmdoctor's tests (tests/common/real_api.rs
// starts it with etcd). Nothing here but Kubernetes' own command.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
