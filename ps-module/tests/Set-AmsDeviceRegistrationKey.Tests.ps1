#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsDeviceRegistrationKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsDeviceRegistrationKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has a default set that changes neither state nor approval' {
        $command = Get-Command -Name Set-AmsDeviceRegistrationKey -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'None'
        $command.ParameterSets.Count | Should -Be 9
        (Get-AmsParameterSet Set-AmsDeviceRegistrationKey Id None).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'resolves <Switches> alone or combined, and passes them as flags' -TestCases @(
        @{ Switches = @('Disable'); Flags = '--enabled false' }
        @{ Switches = @('Enable'); Flags = '--enabled true' }
        @{ Switches = @('ApprovalRequired'); Flags = '--approval-required true' }
        @{ Switches = @('Enable', 'ApprovalNotRequired'); Flags = '--enabled true --approval-required false' }
        @{ Switches = @('Disable', 'ApprovalRequired'); Flags = '--enabled false --approval-required true' }
    ) {
        $splat = @{ Id = 'k-1' }
        foreach ($s in $Switches) {
            $splat[$s] = $true
        }
        $null = Set-AmsDeviceRegistrationKey @splat
        (Get-AmsStubCall).Line | Should -BeExactly "device-registration-key set --id k-1 $Flags"
    }

    It 'refuses -Enable with -Disable, and -ApprovalRequired with -ApprovalNotRequired' {
        { Set-AmsDeviceRegistrationKey -Id 'k-1' -Enable -Disable -ErrorAction Stop } | Should -Throw
        { Set-AmsDeviceRegistrationKey -Id 'k-1' -ApprovalRequired -ApprovalNotRequired -ErrorAction Stop } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'passes the name, the limit and the counter reset' {
        $key = Set-AmsDeviceRegistrationKey -Id 'k-1' -Name 'Renamed' -ActivationLimit 0 -ResetActivationCount
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key set --id k-1 --name Renamed --activation-limit 0 --reset-activation-count'
        $key.PSTypeNames[0] | Should -BeExactly 'Ams.RegistrationKey'
    }

    It 'binds -Disable for piped keys' {
        $null = @(Get-AmsDeviceRegistrationKey) | Set-AmsDeviceRegistrationKey -Disable
        (Get-AmsStubCall)[-1].Line | Should -BeExactly 'device-registration-key set --id k-1 --enabled false'
    }
}
