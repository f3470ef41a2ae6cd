#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsMasterKeyHostProtector, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsMasterKeyHostProtector' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal that takes HostKeyId from the pipeline' {
        Get-AmsConfirmImpact Remove-AmsMasterKeyHostProtector | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsMasterKeyHostProtector HostKeyId).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'runs key host-protector remove with the host key id' {
        Set-AmsStubResponse -Verb 'key host-protector remove' -Response @{ stdout = @{ ProtectorId = 'p-2'; HostKeyId = 'hk-2'; HostName = 'SRV2'; Created = '2026-12-01T00:00:00Z'; ThisHost = $false; AwaitingRecovery = $false } }
        $removed = Remove-AmsMasterKeyHostProtector -HostKeyId 'hk-2' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'key host-protector remove --host-key-id hk-2'
        $removed.PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyHostProtector'
        $removed.ToString() | Should -BeExactly 'SRV2 hk-2'
    }

    It 'takes the host protectors of Get-AmsMasterKeyStatus from the pipeline' {
        $hosts = @(
            @{ ProtectorId = 'p-1'; HostKeyId = 'hk-1'; HostName = 'SRV1'; Created = '2026-12-01T00:00:00Z'; ThisHost = $true; AwaitingRecovery = $false }
            @{ ProtectorId = 'p-2'; HostKeyId = 'hk-2'; HostName = $null; Created = '2026-12-01T00:00:00Z'; ThisHost = $false; AwaitingRecovery = $true }
        )
        Set-AmsStubResponse -Verb 'key status' -Response @{ stdout = @{ MasterKeyId = 'k-1'; RecoveryMode = $false; Protectors = @(); HostProtectors = $hosts; PermissionWarnings = @() } }
        $status = Get-AmsMasterKeyStatus
        $status.HostProtectors[0].PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyHostProtector'
        $status.HostProtectors[0].ToString() | Should -BeExactly 'SRV1 hk-1 (this host)'
        $status.HostProtectors[1].ToString() | Should -BeExactly '(unnamed host) hk-2, awaiting key recover'
        Reset-AmsStubLog
        $status.HostProtectors | Where-Object { -not $_.ThisHost } | Remove-AmsMasterKeyHostProtector -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'key host-protector remove --host-key-id hk-2'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsMasterKeyHostProtector -HostKeyId 'hk-2' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
